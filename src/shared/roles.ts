import { z } from 'zod';

/** Who is signed in. Every request and every synced row is checked against this. */
export const ROLES = ['dispatcher', 'clinician', 'supervisor', 'admin'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

/** Roles that may see clinical material (case records, notes, screenings, referrals). */
export const CLINICAL_ROLES: readonly Role[] = ['clinician', 'supervisor'];

export function mayReadClinical(role: Role): boolean {
  return CLINICAL_ROLES.includes(role);
}
