// Options that `insertfn start` and `insertfn worker` share: where the store and the queue are, the sandbox
// limits, the lease. Each comes from its flag, then its environment variable, then the config file
// (config-file.ts), then the default.
import type { ParseArgsConfig } from 'node:util'
import { UsageError } from './usage-error.js'

export const SERVICE_FLAGS = {
  'data-dir': { type: 'string' },
  'database-url': { type: 'string' },
  'queue-url': { type: 'string' },
  timeout: { type: 'string' },
  memory: { type: 'string' },
  'allow-private-network': { type: 'boolean' },
  lease: { type: 'string' },
  config: { type: 'string' },
} as const satisfies ParseArgsConfig['options']

/** The environment variable each shared flag falls back to; a config file's keys are these flags' names. */
export const SERVICE_ENV = {
  'data-dir': 'INSERTFN_DATA_DIR',
  'database-url': 'INSERTFN_DATABASE_URL',
  'queue-url': 'INSERTFN_QUEUE_URL',
  timeout: 'INSERTFN_TIMEOUT_MS',
  memory: 'INSERTFN_MEMORY_MB',
  'allow-private-network': 'INSERTFN_ALLOW_PRIVATE_NETWORK',
  lease: 'INSERTFN_LEASE_MS',
} as const

export const SERVICE_HELP = `  --data-dir <dir>         INSERTFN_DATA_DIR    ./data
  --database-url <url>     INSERTFN_DATABASE_URL  <data-dir>/insertfn.db  the store: a SQLite file, or
                                                 postgres://user@host:5432/db (?schema=name)
  --queue-url <url>        INSERTFN_QUEUE_URL   <data-dir>/queue.db  the queue: a SQLite file, or
                                                 nats://host:4222 (several: nats://a:4222,nats://b:4222)
  --timeout <ms>           INSERTFN_TIMEOUT_MS  5000   deadline per function invocation
  --memory <mb>            INSERTFN_MEMORY_MB   128    memory limit per function isolate
  --allow-private-network  INSERTFN_ALLOW_PRIVATE_NETWORK=1   let functions reach private addresses
  --lease <ms>             INSERTFN_LEASE_MS    60000  how long a worker holds a job; after a crash, its
                                                       jobs run again once their lease ends
  --config <file>          INSERTFN_CONFIG      (none) a JSON file of options by flag name, such as
                                                 {"data-dir": "/var/lib/insertfn", "timeout": 3000}: used
                                                 where neither the flag nor its variable is given
`

export interface ServiceOptions {
  dataDir: string
  databaseUrl?: string
  queueUrl?: string
  runtime: { allowPrivateNetwork: boolean; timeoutMs?: number; memoryMb?: number }
  leaseMs: number
  secretKey?: string
}

export function wholeNumber(value: string | undefined, name: string, hint: string): number | undefined {
  if (value === undefined || value === '') return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name} must be a whole number, not "${value}"`, hint)
  return n
}

type Values = { [K in keyof typeof SERVICE_FLAGS]?: (typeof SERVICE_FLAGS)[K]['type'] extends 'boolean' ? boolean : string }

export function serviceOptions(values: Values, env: NodeJS.ProcessEnv, hint: string, resolvePath: (p: string) => string): ServiceOptions {
  const databaseUrl = values['database-url'] ?? env.INSERTFN_DATABASE_URL
  const queueUrl = values['queue-url'] ?? env.INSERTFN_QUEUE_URL
  const timeoutMs = wholeNumber(values.timeout ?? env.INSERTFN_TIMEOUT_MS, '--timeout', hint)
  const memoryMb = wholeNumber(values.memory ?? env.INSERTFN_MEMORY_MB, '--memory', hint)
  return {
    dataDir: resolvePath(values['data-dir'] ?? env.INSERTFN_DATA_DIR ?? './data'),
    ...(databaseUrl ? { databaseUrl } : {}),
    ...(queueUrl ? { queueUrl } : {}),
    runtime: {
      allowPrivateNetwork: values['allow-private-network'] ?? env.INSERTFN_ALLOW_PRIVATE_NETWORK === '1',
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(memoryMb === undefined ? {} : { memoryMb }),
    },
    leaseMs: wholeNumber(values.lease ?? env.INSERTFN_LEASE_MS, '--lease', hint) ?? 60_000,
    ...(env.INSERTFN_SECRET_KEY ? { secretKey: env.INSERTFN_SECRET_KEY } : {}),
  }
}
