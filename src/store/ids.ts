import { randomBytes } from 'node:crypto'

/** Ids read like Segment's: a prefix for the kind of thing, then up to 22 random base62 characters. */
export function newId(prefix: string): string {
  return `${prefix}${randomBytes(18).toString('base64url').replace(/[-_]/g, '').slice(0, 22)}`
}
