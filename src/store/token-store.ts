// Bearer tokens for the management API. Only a SHA-256 of each token is stored; the token is shown once,
// when it is made.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Kysely } from 'kysely'
import { newId } from './ids.js'
import type { Database } from './schema.js'

/** The roles of Segment's workspace (spec section 7). */
export const ROLES = ['Workspace Owner', 'Functions Admin', 'Functions Read-only', 'Source Admin'] as const
export type Role = (typeof ROLES)[number]

export interface TokenInfo {
  id: string
  name: string
  roles: Role[]
  createdAt: string
}

const hash = (token: string) => createHash('sha256').update(token).digest('hex')

export class TokenStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Makes a token; the returned secret is the only copy there will ever be. */
  async create(name: string, roles: Role[], secret: string = `ifn_${randomBytes(24).toString('base64url')}`): Promise<{ token: string; info: TokenInfo }> {
    const info: TokenInfo = { id: newId('tok_'), name, roles, createdAt: new Date().toISOString() }
    await this.db.insertInto('tokens').values({ id: info.id, name, roles: JSON.stringify(roles), hash: hash(secret), created_at: info.createdAt }).execute()
    return { token: secret, info }
  }

  async count(): Promise<number> {
    const row = await this.db.selectFrom('tokens').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
    return Number(row.n)
  }

  /** The token's identity, or undefined for a token we do not know. */
  async verify(secret: string): Promise<TokenInfo | undefined> {
    const digest = hash(secret)
    const row = await this.db.selectFrom('tokens').selectAll().where('hash', '=', digest).executeTakeFirst()
    // The lookup is by hash already; the constant-time compare is belt and braces.
    if (row === undefined || !timingSafeEqual(Buffer.from(row.hash), Buffer.from(digest))) return undefined
    return { id: row.id, name: row.name, roles: JSON.parse(row.roles) as Role[], createdAt: row.created_at }
  }
}
