import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  ServiceUnavailableException,
  SetMetadata,
  UnauthorizedException,
  applyDecorators,
  createParamDecorator,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { CITIZEN, isRole, type Actor, type Role } from '../../domain/actor';
import {
  InvalidTokenError,
  TOKEN_VERIFIER,
  TokenKeysUnavailableError,
  type TokenVerifier,
} from '../auth/token-verifier';

const ROLES = 'roles';
const PUBLIC = 'public';
const CITIZEN_WRITE = 'citizen-write';

/** The roles that may call a route; anyone else with a valid token gets 403. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES, roles);
/** A route open without a token (the public verification routes, health, docs). */
export const PublicRoute = () => SetMetadata(PUBLIC, true);
/**
 * A write open without a token (a citizen's rating): its caller is always the anonymous citizen
 * (`CITIZEN`), whatever token it sends, as the public read ignores tokens too. Only these routes
 * ever see an actor with the `public` role.
 */
export const PublicWrite = () => applyDecorators(PublicRoute(), SetMetadata(CITIZEN_WRITE, true));

/** Whether the route is a public write (`@PublicWrite()`). */
export function isPublicWrite(reflector: Reflector, context: ExecutionContext): boolean {
  return (
    reflector.getAllAndOverride<boolean>(CITIZEN_WRITE, [context.getHandler(), context.getClass()]) === true
  );
}

export type AuthenticatedRequest = FastifyRequest & { actor?: Actor };

@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(TOKEN_VERIFIER) private readonly verifier: TokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, targets)) {
      if (isPublicWrite(this.reflector, context)) request.actor = CITIZEN;
      return true;
    }
    const header = request.headers.authorization;
    if (!header?.startsWith('Bearer ')) throw new UnauthorizedException('a bearer token is required');
    let actor: Actor;
    try {
      actor = await this.verifier.verify(header.slice('Bearer '.length).trim());
    } catch (error) {
      if (error instanceof InvalidTokenError) throw new UnauthorizedException(error.message);
      if (error instanceof TokenKeysUnavailableError) {
        throw new ServiceUnavailableException('tokens cannot be verified right now; retry shortly');
      }
      throw error;
    }
    // Only staff hold tokens: the citizen's role (`public`) opens no route that needs one.
    const { role } = actor;
    if (!isRole(role)) throw new UnauthorizedException('invalid token: unknown role');
    request.actor = actor;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, targets);
    if (roles && !roles.includes(role)) {
      throw new ForbiddenException(`role ${role} may not do this`);
    }
    return true;
  }
}

export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): Actor => {
  const actor = context.switchToHttp().getRequest<AuthenticatedRequest>().actor;
  if (!actor) throw new UnauthorizedException('a bearer token is required');
  return actor;
});
