// One setting picks the queue: a SQLite file (a path, `sqlite:` or `file:` URL) for the embedded mode,
// NATS JetStream (`nats://`, `tls://`, several servers separated by commas) when scaled out.
import { fileURLToPath } from 'node:url'
import { JetStreamQueue, type JetStreamQueueOptions } from './jetstream-queue.js'
import type { JobQueue } from './queue.js'
import { SqliteQueue } from './sqlite-queue.js'

export interface QueueFromUrlOptions {
  /** The clock, ms since the epoch (tests inject one). */
  now?: () => number
  /** For JetStream: the ack wait of the workers' consumer, if this process creates it (the worker's lease). */
  ackWaitMs?: number
  /** For JetStream: how long an empty lease waits for a job (see JetStreamQueueOptions.leaseWaitMs). */
  leaseWaitMs?: number
  /** For SQLite: who checkpoints the log (see SqliteQueueOptions). */
  checkpoints?: 'auto' | 'external'
}

/** The settings a `nats://` URL may carry in its query, and the option each sets. */
const NATS_PARAMS = { name: 'name', replicas: 'replicas', duplicateWindowMs: 'duplicateWindowMs', ackWaitMs: 'ackWaitMs' } as const
const EXAMPLES = 'a SQLite file (./data/queue.db, sqlite:/var/lib/insertfn/queue.db) or NATS (nats://127.0.0.1:4222, nats://a:4222,nats://b:4222?name=insertfn&replicas=3)'

export class QueueUrlError extends Error {
  constructor(url: string, problem: string) {
    super(`queue URL ${JSON.stringify(redactQueueUrl(url))}: ${problem}; use ${EXAMPLES}`)
    this.name = 'QueueUrlError'
  }
}

/** The URL with any password or token replaced, for logs and error messages. */
export function redactQueueUrl(url: string): string {
  return url.replace(/(\/\/)([^@/,]+)@/g, (_, slashes: string, credentials: string) => `${slashes}${credentials.includes(':') ? `${credentials.split(':')[0]}:••••` : '••••'}@`)
}

/** What a queue URL says, before anything is opened. */
export type QueueTarget = { kind: 'sqlite'; file: string } | { kind: 'jetstream'; options: JetStreamQueueOptions }

export function parseQueueUrl(url: string): QueueTarget {
  const text = url.trim()
  if (text === '') throw new QueueUrlError(url, 'it is empty')
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(text)?.[1]?.toLowerCase()
  if (scheme === undefined) return { kind: 'sqlite', file: text }
  if (scheme === 'sqlite') {
    const file = text.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '')
    if (file === '' || file === '//') throw new QueueUrlError(url, 'it names no file')
    return { kind: 'sqlite', file }
  }
  if (scheme === 'file') return { kind: 'sqlite', file: fileURLToPath(text) }
  if (scheme === 'nats' || scheme === 'tls') return { kind: 'jetstream', options: natsOptions(url, text) }
  throw new QueueUrlError(url, `the scheme ${scheme}: is not one insertfn knows`)
}

function natsOptions(url: string, text: string): JetStreamQueueOptions {
  const servers: string[] = []
  const options: JetStreamQueueOptions = { servers }
  for (const part of text.split(',')) {
    let u: URL
    try {
      u = new URL(/^[a-z]+:\/\//i.test(part) ? part : `nats://${part}`)
    } catch {
      throw new QueueUrlError(url, `${JSON.stringify(redactQueueUrl(part))} is not a server address`)
    }
    if (u.username !== '') {
      // nats://user:pass@host, or nats://token@host
      if (u.password === '') options.token = decodeURIComponent(u.username)
      else Object.assign(options, { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) })
    }
    for (const [key, value] of u.searchParams) {
      if (!(key in NATS_PARAMS)) throw new QueueUrlError(url, `it has the setting ${key}, and NATS queue URLs take only ${Object.keys(NATS_PARAMS).join(', ')}`)
      if (key === 'name') options.name = value
      else {
        const n = Number(value)
        if (!Number.isInteger(n)) throw new QueueUrlError(url, `${key} must be a whole number, not ${JSON.stringify(value)}`)
        options[NATS_PARAMS[key as Exclude<keyof typeof NATS_PARAMS, 'name'>]] = n
      }
    }
    servers.push(`${u.protocol}//${u.host}`)
  }
  return options
}

/** Opens the queue a URL names. */
export async function queueFromUrl(url: string, options: QueueFromUrlOptions = {}): Promise<JobQueue> {
  const target = parseQueueUrl(url)
  if (target.kind === 'sqlite') return SqliteQueue.open({ file: target.file, ...(options.now ? { now: options.now } : {}), ...(options.checkpoints ? { checkpoints: options.checkpoints } : {}) })
  return JetStreamQueue.connect({
    ...(options.ackWaitMs === undefined ? {} : { ackWaitMs: options.ackWaitMs }),
    ...(options.leaseWaitMs === undefined ? {} : { leaseWaitMs: options.leaseWaitMs }),
    ...target.options,
    ...(options.now ? { now: options.now } : {}),
  })
}
