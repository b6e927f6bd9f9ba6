// The management API as the CLI's commands use it: a server URL and a bearer token, `{ data }` answers, and
// errors turned into messages that say what to fix.
import { z } from 'zod'
import { CommandError } from './command-error.js'
import { UsageError } from './usage-error.js'

export interface ServerTarget {
  server: string
  token: string
}

export const SERVER_OPTIONS = {
  server: { type: 'string' },
  token: { type: 'string' },
} as const

export const SERVER_HELP = `  --server <url>            insertfn's address (default $INSERTFN_SERVER, else http://localhost:4000)
  --token <token>           an API token (default $INSERTFN_TOKEN)`

/** The server and token from flags, then the environment; a missing token or a bad URL is a usage error. */
export function serverTarget(values: { server?: string | undefined; token?: string | undefined }, hint: string): ServerTarget {
  const server = values.server ?? process.env.INSERTFN_SERVER ?? 'http://localhost:4000'
  const token = values.token ?? process.env.INSERTFN_TOKEN
  if (!/^https?:\/\/[^/]/.test(server) || !URL.canParse(server)) throw new UsageError(`--server must be an http:// or https:// URL, not "${server}"`, hint)
  if (token === undefined || token === '') throw new UsageError('an API token is needed: pass --token <token> or set INSERTFN_TOKEN', hint)
  return { server: server.replace(/\/+$/, ''), token }
}

const ErrorBody = z.object({ errors: z.array(z.object({ message: z.string(), code: z.string().optional(), field: z.string().optional() })).min(1) })
const DataBody = z.object({ data: z.unknown() })

export class ApiClient {
  constructor(readonly target: ServerTarget) {}

  /**
   * Sends one request under /api and returns the answer's `data` in the shape `schema` expects; rejects
   * with a CommandError otherwise.
   */
  async request<T>(method: string, path: string, schema: z.ZodType<T>, body?: unknown): Promise<T> {
    const url = `${this.target.server}/api${path}`
    let res: Response
    try {
      res = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${this.target.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      })
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause
      throw new CommandError(`cannot reach insertfn at ${this.target.server}: ${cause?.code ?? cause?.message ?? (err as Error).message}`)
    }
    const text = await res.text()
    let json: unknown
    try {
      json = JSON.parse(text) as unknown
    } catch {
      throw new CommandError(`${method} ${url} answered ${res.status} with something that is not JSON (is --server insertfn's address?): ${text.slice(0, 200)}`)
    }
    if (!res.ok) {
      const parsed = ErrorBody.safeParse(json)
      const first = parsed.success ? parsed.data.errors[0]! : { message: text.slice(0, 300) }
      const detail = `${first.message}${first.field === undefined ? '' : ` (field ${first.field})`}`
      if (res.status === 401) throw new CommandError(`the server did not accept the token (401): ${detail}. Check --token or INSERTFN_TOKEN`)
      throw new CommandError(`${method} ${path} was refused (${res.status}${first.code === undefined ? '' : ` ${first.code}`}): ${detail}`)
    }
    const data = DataBody.safeParse(json)
    if (!data.success) throw new CommandError(`${method} ${url} answered without a "data" field (is --server insertfn's address?)`)
    const shaped = schema.safeParse(data.data.data)
    if (!shaped.success) throw new CommandError(`unexpected answer to ${method} ${path}: ${shaped.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
    return shaped.data
  }
}
