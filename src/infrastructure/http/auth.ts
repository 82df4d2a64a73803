import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  ServiceUnavailableException,
  SetMetadata,
  UnauthorizedException,
  createParamDecorator,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { Actor, Role } from '../../domain/actor';
import {
  InvalidTokenError,
  TOKEN_VERIFIER,
  TokenKeysUnavailableError,
  type TokenVerifier,
} from '../auth/token-verifier';

const ROLES = 'roles';
const PUBLIC = 'public';

/** The roles that may call a route; anyone else with a valid token gets 403. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES, roles);
/** A route open without a token (the public verification routes, health, docs). */
export const PublicRoute = () => SetMetadata(PUBLIC, true);

export type AuthenticatedRequest = FastifyRequest & { actor?: Actor };

@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(TOKEN_VERIFIER) private readonly verifier: TokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    if (!header?.startsWith('Bearer ')) throw new UnauthorizedException('a bearer token is required');
    try {
      request.actor = await this.verifier.verify(header.slice('Bearer '.length).trim());
    } catch (error) {
      if (error instanceof InvalidTokenError) throw new UnauthorizedException(error.message);
      if (error instanceof TokenKeysUnavailableError) {
        throw new ServiceUnavailableException('tokens cannot be verified right now; retry shortly');
      }
      throw error;
    }
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, targets);
    if (roles && !roles.includes(request.actor.role)) {
      throw new ForbiddenException(`role ${request.actor.role} may not do this`);
    }
    return true;
  }
}

export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): Actor => {
  const actor = context.switchToHttp().getRequest<AuthenticatedRequest>().actor;
  if (!actor) throw new UnauthorizedException('a bearer token is required');
  return actor;
});
