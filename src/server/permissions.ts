// What each role may do (spec section 7). A route names the permissions it needs; a token passes when its
// roles together grant all of them.
import type { Role } from '../store/token-store.js'

export type Permission = 'functions:read' | 'functions:write' | 'functions:deploy' | 'sources:read' | 'sources:write' | 'audit:read'

const GRANTS: Record<Role, readonly Permission[]> = {
  // Segment: only the Workspace Owner sees the audit trail.
  'Workspace Owner': ['functions:read', 'functions:write', 'functions:deploy', 'sources:read', 'sources:write', 'audit:read'],
  'Functions Admin': ['functions:read', 'functions:write', 'sources:read'],
  'Functions Read-only': ['functions:read', 'sources:read'],
  // Segment: Source Admin is needed, besides Functions Admin, to deploy changes to existing functions and to
  // connect functions to destinations.
  'Source Admin': ['functions:read', 'functions:deploy', 'sources:read', 'sources:write'],
}

export function missingPermissions(roles: readonly Role[], needed: readonly Permission[]): Permission[] {
  const granted = new Set(grantedPermissions(roles))
  return needed.filter((p) => !granted.has(p))
}

/** Everything the roles grant together, for clients that show only what a token may do. */
export function grantedPermissions(roles: readonly Role[]): Permission[] {
  return [...new Set(roles.flatMap((r) => GRANTS[r] ?? []))]
}
