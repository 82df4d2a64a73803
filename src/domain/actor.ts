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

/** Who did something. `agencyId` binds an operator to one agency (or a trainer to one provider). */
export interface Actor {
  readonly id: string;
  readonly role: Role;
  readonly agencyId?: string;
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
