// The Segment HTTP Tracking API under /v1: any Segment library sends to it unmodified. Events are checked
// and stamped, then durably enqueued, one job per (event, enabled destination of the source), before the
// 200 goes out.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { JobQueue } from '../queue/queue.js'
import { eventStamper, MAX_BATCH_BYTES, MAX_BATCH_EVENTS, type EventProblem, type Stamped, type StampOptions, type TrackingType } from '../spec/events.js'
import type { ConnectionStore } from '../store/connection-store.js'
import { IngestRouting } from './ingest-routing.js'

const SINGLE: Record<string, TrackingType> = {
  identify: 'identify', track: 'track', page: 'page', screen: 'screen', group: 'group', alias: 'alias',
  // analytics.js (analytics-next) posts to one-letter paths.
  i: 'identify', t: 'track', p: 'page', s: 'screen', g: 'group', a: 'alias',
}

class TrackingError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** The write key: the Basic-auth username (password empty, colon optional), or `writeKey` in the body. */
function writeKeyOf(req: FastifyRequest, body: Record<string, unknown>): string | undefined {
  const header = req.headers.authorization
  if (header !== undefined) {
    const match = /^Basic\s+(\S+)$/i.exec(header)
    if (match !== null) {
      const decoded = Buffer.from(match[1]!, 'base64').toString('utf8')
      const user = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded
      if (user !== '') return user
    }
  }
  return typeof body.writeKey === 'string' && body.writeKey !== '' ? body.writeKey : undefined
}

export interface TrackingDeps {
  connections: ConnectionStore
  queue: JobQueue
  now?: () => Date
  /**
   * Jobs waiting beyond which ingestion answers 429 with Retry-After, as Segment does under overload, so
   * that delivery is not starved and the queue does not grow without bound. @defaultValue 1000000
   */
  maxQueueDepth?: number
  /** Counts events accepted and refused, per source. */
  onAccepted?: (sourceId: string, accepted: number, rejected: EventProblem[]) => void
}

/** The queue's depth, read at most every 100 ms: counting on every request would cost more than the request. */
function depthGauge(queue: JobQueue): () => Promise<number> {
  let value = 0
  let readAt = 0
  let reading: Promise<number> | undefined
  return async () => {
    if (Date.now() - readAt < 100) return value
    reading ??= queue.depth().then((n) => {
      value = n
      readAt = Date.now()
      reading = undefined
      return n
    })
    return reading
  }
}

export async function trackingRoutes(app: FastifyInstance, deps: TrackingDeps): Promise<void> {
  const now = deps.now ?? (() => new Date())
  const maxDepth = deps.maxQueueDepth ?? 1_000_000
  const depth = depthGauge(deps.queue)
  const ingestRouting = new IngestRouting(deps.connections)

  // Browsers post from other origins, with Content-Type text/plain (no preflight) or JSON (preflight).
  app.addHook('onRequest', async (_req, reply) => {
    reply.header('access-control-allow-origin', '*')
  })
  app.options('/*', async (_req, reply) =>
    reply
      .status(204)
      .header('access-control-allow-methods', 'POST, OPTIONS')
      .header('access-control-allow-headers', 'Content-Type, Authorization')
      .header('access-control-max-age', '86400')
      .send(),
  )
  // Plain JSON: keys named __proto__ or constructor are data like any other, as they are to Segment. Fastify's
  // default refuses the whole body for one such key (calling it invalid JSON); it guards code that merges
  // parsed input into objects by assignment, which this path never does (it spreads, and sends JSON on),
  // and skipping the two scans of every body it needs for that is about 4% of the ingesting thread.
  const parseJson = app.getDefaultJsonParser('ignore', 'ignore')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJson)
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, parseJson)
  app.setErrorHandler((err, req, reply) => {
    const e = err as Error & { code?: string; statusCode?: number }
    if (e instanceof TrackingError) return reply.status(e.status).send({ success: false, message: e.message })
    if (e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return reply.status(400).send({ success: false, message: `the body is not valid JSON: ${e.message}` })
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.status(400).send({ success: false, message: `the request is over ${MAX_BATCH_BYTES} bytes, Segment's limit for a batch` })
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return reply.status(400).send({ success: false, message: 'send JSON, with Content-Type application/json or text/plain' })
    req.log.error({ err }, 'tracking request failed')
    return reply.status(500).send({ success: false, message: 'internal error; the events were not accepted, send them again' })
  })

  async function accept(req: FastifyRequest, reply: FastifyReply, events: unknown[], options: Omit<StampOptions, 'receivedAt'>, body: Record<string, unknown>) {
    const writeKey = writeKeyOf(req, body)
    if (writeKey === undefined) throw new TrackingError(401, 'send the write key as the Basic-auth username, or as writeKey in the body')
    const routing = await ingestRouting.forWriteKey(writeKey)
    if (routing === undefined) throw new TrackingError(401, 'this write key is not known')
    const { source, destinations } = routing
    const stamp = eventStamper({ ...options, receivedAt: now() })
    const accepted: Stamped[] = []
    const rejected: EventProblem[] = []
    events.forEach((raw, i) => {
      const r = stamp(raw, events.length > 1 || options.type === undefined ? i : undefined)
      if ('event' in r) accepted.push(r)
      else rejected.push(r.problem)
    })
    if (accepted.length > 0 && (await depth()) >= maxDepth) {
      reply.header('retry-after', '5')
      throw new TrackingError(429, `insertfn is behind: ${maxDepth} or more deliveries are waiting; send again after the Retry-After delay`)
    }
    if (source.enabled && accepted.length > 0) {
      // The natural key of a job: a sender retrying a request whose answer it lost adds nothing twice to a
      // queue that dedupes (JetStream).
      const jobs = accepted.flatMap(({ event, json }) => destinations.map((d) => ({ destinationId: d.id, payload: json, dedupeKey: `${event.messageId}:${d.id}` })))
      if (jobs.length > 0) await deps.queue.enqueue(jobs)
    }
    deps.onAccepted?.(source.id, accepted.length, rejected)
    // Like Segment, events refused for their content still get a 200; unlike Segment, the answer says which.
    return reply.status(200).send(rejected.length === 0 ? { success: true } : { success: true, rejected })
  }

  app.post<{ Params: { kind: string } }>('/:kind', { bodyLimit: MAX_BATCH_BYTES + 16 * 1024 }, async (req, reply) => {
    const body = req.body
    if (!isObject(body)) throw new TrackingError(400, 'the body must be a JSON object')
    const kind = req.params.kind
    if (kind === 'batch' || kind === 'b' || kind === 'import') {
      const items = body.batch
      if (!Array.isArray(items)) throw new TrackingError(400, 'a batch needs a "batch" array of events')
      if (items.length > MAX_BATCH_EVENTS) throw new TrackingError(400, `a batch may hold ${MAX_BATCH_EVENTS} events, not ${items.length}`)
      const size = Number(req.headers['content-length'] ?? 0)
      if (size > MAX_BATCH_BYTES) throw new TrackingError(400, `the batch is ${size} bytes; the limit is ${MAX_BATCH_BYTES}`)
      return accept(req, reply, items, {
        ...(isObject(body.context) ? { batchContext: body.context } : {}),
        ...(isObject(body.integrations) ? { batchIntegrations: body.integrations } : {}),
        ...(body.sentAt === undefined ? {} : { sentAt: body.sentAt }),
      }, body)
    }
    const type = SINGLE[kind]
    if (type === undefined) throw new TrackingError(404, `no endpoint /v1/${kind}: use identify, track, page, screen, group, alias or batch`)
    const size = Buffer.byteLength(JSON.stringify(body))
    if (size > 32 * 1024) throw new TrackingError(400, `the event is ${size} bytes; the limit is 32768`)
    return accept(req, reply, [body], { type }, body)
  })
}
