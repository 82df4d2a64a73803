import { ForbiddenException, UnauthorizedException, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { CITIZEN, type Actor } from '../../../src/domain/actor';
import type { TokenVerifier } from '../../../src/infrastructure/auth/token-verifier';
import {
  AuthGuard,
  PublicRoute,
  PublicWrite,
  Roles,
  type AuthenticatedRequest,
} from '../../../src/infrastructure/http/auth';

class Routes {
  @Roles('regulator') staff() {}
  @PublicRoute() read() {}
  @PublicWrite() rate() {}
  unscoped() {}
}

function contextFor(handler: keyof Routes, request: Partial<AuthenticatedRequest>): ExecutionContext {
  return {
    getHandler: () => Routes.prototype[handler],
    getClass: () => Routes,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
}

const verifierAnswering = (actor: Actor): TokenVerifier => ({ verify: () => Promise.resolve(actor) });
const bearer = { headers: { authorization: 'Bearer t' } } as Partial<AuthenticatedRequest>;

describe('AuthGuard and the citizen actor', () => {
  it('refuses a verified token whose actor is the citizen, on any route that needs a token', async () => {
    // Even should a verifier (an external identity provider's) answer the public role, it opens nothing.
    const guard = new AuthGuard(new Reflector(), verifierAnswering(CITIZEN));
    for (const route of ['staff', 'unscoped'] as const) {
      const request = { ...bearer };
      await expect(guard.canActivate(contextFor(route, request))).rejects.toBeInstanceOf(
        UnauthorizedException,
      );
      expect(request.actor).toBeUndefined();
    }
  });

  it('makes every caller of a public write the citizen, whatever token it sends', async () => {
    const regulator: Actor = { id: 'reg-1', role: 'regulator' };
    const guard = new AuthGuard(new Reflector(), verifierAnswering(regulator));
    const request = { ...bearer };
    await expect(guard.canActivate(contextFor('rate', request))).resolves.toBe(true);
    expect(request.actor).toBe(CITIZEN);
    const staff = { ...bearer };
    await expect(guard.canActivate(contextFor('staff', staff))).resolves.toBe(true);
    expect(staff.actor).toEqual(regulator);
  });

  it('gives a public read no actor at all', async () => {
    const guard = new AuthGuard(new Reflector(), verifierAnswering(CITIZEN));
    const request = {} as Partial<AuthenticatedRequest>;
    await expect(guard.canActivate(contextFor('read', request))).resolves.toBe(true);
    expect(request.actor).toBeUndefined();
  });

  it('still answers 403 to a staff role outside the route', async () => {
    const guard = new AuthGuard(new Reflector(), verifierAnswering({ id: 'a', role: 'auditor' }));
    await expect(guard.canActivate(contextFor('staff', { ...bearer }))).rejects.toBeInstanceOf(
      ForbiddenException,
    );
  });
});
