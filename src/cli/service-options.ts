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
  'record-retention': { type: 'string' },
  'records-per-status': { type: 'string' },
  'count-retention': { type: 'string' },
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
  'record-retention': 'INSERTFN_RECORD_RETENTION_HOURS',
  'records-per-status': 'INSERTFN_RECORDS_PER_STATUS',
  'count-retention': 'INSERTFN_COUNT_RETENTION_DAYS',
} as const

export const SERVICE_HELP = `  --data-dir <dir>         INSERTFN_DATA_DIR    ./data
  --database-url <url>     INSERTFN_DATABASE_URL  <data-dir>/insertfn.db  the store: a SQLite file, or
                                                 postgres://user@host:5432/db (?schema=name)
  --queue-url <url>        INSERTFN_QUEUE_URL   <data-dir>/queue.db  the queue: a SQLite file, or
                                                 nats://host:4222 (several: nats://a:4222,nats://b:4222)
  --timeout <ms>           INSERTFN_TIMEOUT_MS  5000   deadline per function invocation
  --memory <mb>            INSERTFN_MEMORY_MB   128    memory limit per function isolate
  --allow-private-network  INSERTFN_ALLOW_PRIVATE_NETWORK=1   let functions reach private addresses
  --lease <ms>             INSERTFN_LEASE_MS    60000  how long a leased job stays hidden: after a crash,
                                                       its jobs run again once their lease ends (a
                                                       live worker keeps its jobs while it works on
                                                       them)
  --record-retention <h>   INSERTFN_RECORD_RETENTION_HOURS  168  how long delivery records keep recent
                                                 events' details (the event, error, logs, requests)
  --records-per-status <n> INSERTFN_RECORDS_PER_STATUS  1000  details kept per destination and outcome
  --count-retention <d>    INSERTFN_COUNT_RETENTION_DAYS  90  how long the per-minute delivery counts are kept
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
  /** How much of the delivery records is kept (written where delivery runs). */
  records: RecordRetention
}

/** Bounds of the delivery records; each undefined keeps its default (store/delivery-log.ts). */
export interface RecordRetention {
  retentionMs?: number
  detailsPerStatus?: number
  countRetentionMs?: number
}

export function wholeNumber(value: string | undefined, name: string, hint: string): number | undefined {
  if (value === undefined || value === '') return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name} must be a whole number, not "${value}"`, hint)
  return n
}

/**
 * The lease, ms: at least a second. A shorter one would give a job to another worker while the first is
 * still delivering it, and a live worker's leases are renewed every third of it (docs/queue.md).
 */
function leaseOf(value: string | undefined, hint: string): number {
  const ms = wholeNumber(value, '--lease', hint) ?? 60_000
  if (ms < 1000) throw new UsageError(`--lease must be at least 1000 (ms), not ${ms}: a job would go to another worker while the first still delivers it`, hint)
  return ms
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
    leaseMs: leaseOf(values.lease ?? env.INSERTFN_LEASE_MS, hint),
    ...(env.INSERTFN_SECRET_KEY ? { secretKey: env.INSERTFN_SECRET_KEY } : {}),
    records: recordRetention(values, env, hint),
  }
}

function recordRetention(values: Values, env: NodeJS.ProcessEnv, hint: string): RecordRetention {
  const positive = (value: string | undefined, name: string): number | undefined => {
    const n = wholeNumber(value, name, hint)
    if (n === 0) throw new UsageError(`${name} must be at least 1: records are always kept for a while`, hint)
    return n
  }
  const hours = positive(values['record-retention'] ?? env.INSERTFN_RECORD_RETENTION_HOURS, '--record-retention')
  const perStatus = positive(values['records-per-status'] ?? env.INSERTFN_RECORDS_PER_STATUS, '--records-per-status')
  const days = positive(values['count-retention'] ?? env.INSERTFN_COUNT_RETENTION_DAYS, '--count-retention')
  return {
    ...(hours === undefined ? {} : { retentionMs: hours * 3600_000 }),
    ...(perStatus === undefined ? {} : { detailsPerStatus: perStatus }),
    ...(days === undefined ? {} : { countRetentionMs: days * 24 * 3600_000 }),
  }
}
