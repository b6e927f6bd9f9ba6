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

function time(v: unknown): number | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined
  const t = new Date(v).getTime()
  return Number.isNaN(t) ? undefined : t
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

/** Checks one event and stamps it; returns the event to enqueue, or what is wrong with it. */
export function stampEvent(raw: unknown, options: StampOptions, index?: number): { event: SegmentEvent } | { problem: EventProblem } {
  const at = index === undefined ? {} : { index }
  if (!isObject(raw)) return { problem: { ...at, field: 'event', message: 'each event must be a JSON object' } }
  const bytes = Buffer.byteLength(JSON.stringify(raw))
  if (bytes > MAX_EVENT_BYTES) return { problem: { ...at, field: 'event', message: `the event is ${bytes} bytes; the limit is ${MAX_EVENT_BYTES}` } }
  const type = options.type ?? raw.type
  if (typeof type !== 'string' || !(TRACKING_TYPES as readonly string[]).includes(type)) {
    return { problem: { ...at, field: 'type', message: `type must be one of ${TRACKING_TYPES.join(', ')}${type === undefined ? '' : `, not ${JSON.stringify(type)}`}` } }
  }
  if (!isId(raw.userId) && !isId(raw.anonymousId)) return { problem: { ...at, field: 'userId', message: 'no_user_anon_id: every event needs a userId or an anonymousId' } }
  if (type === 'track' && (typeof raw.event !== 'string' || raw.event === '')) return { problem: { ...at, field: 'event', message: 'a track call needs an event name' } }
  if (type === 'group' && !isId(raw.groupId)) return { problem: { ...at, field: 'groupId', message: 'a group call needs a groupId' } }
  if (type === 'alias' && !isId(raw.previousId)) return { problem: { ...at, field: 'previousId', message: 'an alias call needs a previousId' } }

  const event: Record<string, unknown> = { ...raw, type }
  delete event.writeKey
  const receivedAt = options.receivedAt.getTime()
  event.messageId = typeof raw.messageId === 'string' && raw.messageId !== '' && raw.messageId.length <= MAX_MESSAGE_ID ? raw.messageId : `api-${randomUUID()}`
  event.receivedAt = options.receivedAt.toISOString()
  if (options.batchContext !== undefined || isObject(raw.context)) event.context = { ...options.batchContext, ...(isObject(raw.context) ? raw.context : {}) }
  if (options.batchIntegrations !== undefined || isObject(raw.integrations)) event.integrations = { ...options.batchIntegrations, ...(isObject(raw.integrations) ? raw.integrations : {}) }
  // Clock skew: the device's clock may be off, so the event time is shifted by (receivedAt - sentAt).
  const sentAt = time(raw.sentAt ?? options.sentAt)
  const original = time(raw.originalTimestamp ?? raw.timestamp)
  if (original !== undefined) event.originalTimestamp = new Date(original).toISOString()
  if (sentAt !== undefined) event.sentAt = new Date(sentAt).toISOString()
  event.timestamp = new Date(original === undefined ? receivedAt : sentAt === undefined ? original : receivedAt - (sentAt - original)).toISOString()
  return { event: event as SegmentEvent }
}
