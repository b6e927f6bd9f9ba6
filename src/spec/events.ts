// Segment-spec events as the HTTP Tracking API accepts them (spec section 9): the checks Segment makes,
// and the stamping it does on receipt (messageId, receivedAt, timestamp corrected for clock skew).
import { randomUUID } from 'node:crypto'

export const TRACKING_TYPES = ['identify', 'track', 'page', 'screen', 'group', 'alias'] as const
export type TrackingType = (typeof TRACKING_TYPES)[number]

/** Segment's limits: 32 KB per event; 500 KB and 2,500 events per batch. */
export const MAX_EVENT_BYTES = 32 * 1024
export const MAX_BATCH_BYTES = 500 * 1024
export const MAX_BATCH_EVENTS = 2500
const MAX_MESSAGE_ID = 100

export type SegmentEvent = Record<string, unknown> & { type: TrackingType; messageId: string; receivedAt: string; timestamp: string }

export interface EventProblem {
  /** Where in the request: the index of a batch item, or undefined for a single event. */
  index?: number
  field: string
  message: string
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function isId(v: unknown): boolean {
  return (typeof v === 'string' && v.length > 0) || (typeof v === 'number' && Number.isFinite(v))
}

/** An ISO 8601 time as toISOString writes it: such strings are kept as sent rather than rewritten. */
const CANONICAL_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

/** A time as ms since the epoch and in toISOString's form, or undefined when it is not a time. */
function time(v: unknown): { ms: number; iso: string } | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined
  const ms = new Date(v).getTime()
  if (Number.isNaN(ms)) return undefined
  // toISOString costs about a microsecond; a time already in its form is its own answer.
  return { ms, iso: typeof v === 'string' && CANONICAL_TIME.test(v) ? v : new Date(ms).toISOString() }
}

export interface StampOptions {
  receivedAt: Date
  /** The request's type for the single-event endpoints; batch items carry their own. */
  type?: TrackingType
  /** A batch's `context` and `integrations`, merged into each item (the item's own keys win). */
  batchContext?: Record<string, unknown>
  batchIntegrations?: Record<string, unknown>
  /** The batch's sentAt, when the item has none. */
  sentAt?: unknown
}

/** A stamped event, and its JSON text: what is enqueued. */
export interface Stamped {
  event: SegmentEvent
  json: string
}

/** Fields stamping may replace or remove: the raw event can be larger than the stamped one by at most these. */
const REPLACED = ['writeKey', 'type', 'messageId', 'timestamp', 'originalTimestamp', 'sentAt'] as const

function stringBytesBound(v: unknown): number {
  // A JSON value of a string is at most 6 bytes per UTF-16 unit (\uXXXX); other values are rarely large.
  return typeof v === 'string' ? v.length * 6 + 2 : typeof v === 'object' && v !== null ? Infinity : 32
}

/**
 * Whether the event as sent is over Segment's 32 KB. Measuring means encoding it once more, so it is only
 * measured when the stamped JSON (`json`) and what stamping can have removed do not settle it.
 */
function rawBytesOver(raw: Record<string, unknown>, json: string): number | undefined {
  let removed = 0
  for (const key of REPLACED) if (key in raw) removed += key.length + 3 + stringBytesBound(raw[key])
  if (json.length * 3 + removed <= MAX_EVENT_BYTES) return undefined
  const bytes = Buffer.byteLength(JSON.stringify(raw))
  return bytes > MAX_EVENT_BYTES ? bytes : undefined
}

/** Stamps the events of one request: what is the same for all of them is worked out once. */
export function eventStamper(options: StampOptions): (raw: unknown, index?: number) => Stamped | { problem: EventProblem } {
  const receivedAtMs = options.receivedAt.getTime()
  const receivedAt = options.receivedAt.toISOString()
  const batchSentAt = time(options.sentAt)
  return (raw, index) => {
    const at = index === undefined ? {} : { index }
    if (!isObject(raw)) return { problem: { ...at, field: 'event', message: 'each event must be a JSON object' } }
    const type = options.type ?? raw.type
    if (typeof type !== 'string' || !(TRACKING_TYPES as readonly string[]).includes(type)) {
      return { problem: { ...at, field: 'type', message: `type must be one of ${TRACKING_TYPES.join(', ')}${type === undefined ? '' : `, not ${JSON.stringify(type)}`}` } }
    }
    if (!isId(raw.userId) && !isId(raw.anonymousId)) return { problem: { ...at, field: 'userId', message: 'no_user_anon_id: every event needs a userId or an anonymousId' } }
    if (type === 'track' && (typeof raw.event !== 'string' || raw.event === '')) return { problem: { ...at, field: 'event', message: 'a track call needs an event name' } }
    if (type === 'group' && !isId(raw.groupId)) return { problem: { ...at, field: 'groupId', message: 'a group call needs a groupId' } }
    if (type === 'alias' && !isId(raw.previousId)) return { problem: { ...at, field: 'previousId', message: 'an alias call needs a previousId' } }

    // The event as sent stays as it was (its size is measured below); the stamped one is a shallow copy,
    // with messageId its first key: the worker reads it off the front of the text (pipeline/queued-event.ts).
    const event: Record<string, unknown> = { messageId: undefined, ...raw, type }
    // Deleting a key would turn the copy into a slow dictionary-mode object; JSON leaves undefined out.
    if ('writeKey' in event) event.writeKey = undefined
    event.messageId = typeof raw.messageId === 'string' && raw.messageId !== '' && raw.messageId.length <= MAX_MESSAGE_ID ? raw.messageId : `api-${randomUUID()}`
    event.receivedAt = receivedAt
    // Merged only when there is a batch-level object to merge: an item's own object is used as it is.
    if (options.batchContext !== undefined) event.context = { ...options.batchContext, ...(isObject(raw.context) ? raw.context : {}) }
    if (options.batchIntegrations !== undefined) event.integrations = { ...options.batchIntegrations, ...(isObject(raw.integrations) ? raw.integrations : {}) }
    // Clock skew: the device's clock may be off, so the event time is shifted by (receivedAt - sentAt).
    const sentAt = raw.sentAt === undefined || raw.sentAt === null ? batchSentAt : time(raw.sentAt)
    const original = time(raw.originalTimestamp ?? raw.timestamp)
    if (original !== undefined) event.originalTimestamp = original.iso
    if (sentAt !== undefined) event.sentAt = sentAt.iso
    event.timestamp = original === undefined ? receivedAt : sentAt === undefined ? original.iso : new Date(receivedAtMs - (sentAt.ms - original.ms)).toISOString()
    const json = JSON.stringify(event)
    const over = rawBytesOver(raw, json)
    if (over !== undefined) return { problem: { ...at, field: 'event', message: `the event is ${over} bytes; the limit is ${MAX_EVENT_BYTES}` } }
    if ('writeKey' in event) delete event.writeKey
    return { event: event as SegmentEvent, json }
  }
}

/** Checks one event and stamps it; returns the event to enqueue, or what is wrong with it. */
export function stampEvent(raw: unknown, options: StampOptions, index?: number): Stamped | { problem: EventProblem } {
  return eventStamper(options)(raw, index)
}
