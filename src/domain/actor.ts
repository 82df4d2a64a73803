/** The staff roles: what a bearer token may claim (DESIGN §2). */
export const ROLES = [
  'agency_operator',
  'platform_reviewer',
  'police_liaison',
  'training_provider',
  'regulator',
  'auditor',
  'platform_admin',
] as const;

export type Role = (typeof ROLES)[number];

/**
 * The citizen at the door, who uses the public routes without logging in. Not a staff role: no token
 * can claim it (`isRole` is false for it, so a token naming it is refused with 401), and it is never
 * among a staff route's roles. Only a public write route makes its caller this actor.
 */
export const PUBLIC_ROLE = 'public';

export type ActorRole = Role | typeof PUBLIC_ROLE;

/** Who did something. `agencyId` binds an operator to one agency (or a trainer to one provider). */
export interface Actor {
  readonly id: string;
  readonly role: ActorRole;
  readonly agencyId?: string;
}

/**
 * Every anonymous citizen is this one actor: the registry does not know who they are and records
 * nothing that could tell them apart (no IP address, no device).
 */
export const CITIZEN: Actor = Object.freeze({ id: 'citizen', role: PUBLIC_ROLE });

/** A staff role, as a token may claim: never `public`. */
export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
