// Segment-spec events as insert functions receive them (https://segment.com/docs/connections/spec/).
// Plain ambient declarations, no imports: editors and the web UI load this file as it is.
// Property and trait values are `any` on purpose: their shape is whatever the sending app chose, and a
// function author should be able to write `event.properties.total * 2` without a cast.

/** Free-form values a sender attaches to an event (`properties`, `traits`). */
interface SegmentProperties {
  [key: string]: any
}

/** Which destinations an event goes to: `All` for the default, a destination's name for an exception. */
interface SegmentIntegrations {
  All?: boolean
  [destination: string]: boolean | Record<string, unknown> | undefined
}

/** Where an event came from: added by the Segment library that sent it. */
interface SegmentContext {
  active?: boolean
  app?: { name?: string; version?: string; build?: string; namespace?: string }
  campaign?: { name?: string; source?: string; medium?: string; term?: string; content?: string }
  channel?: string
  device?: { id?: string; advertisingId?: string; manufacturer?: string; model?: string; name?: string; type?: string; token?: string }
  groupId?: string
  ip?: string
  library?: { name: string; version: string }
  locale?: string
  network?: { bluetooth?: boolean; carrier?: string; cellular?: boolean; wifi?: boolean }
  os?: { name?: string; version?: string }
  page?: { path?: string; referrer?: string; search?: string; title?: string; url?: string }
  referrer?: { id?: string; type?: string }
  screen?: { width?: number; height?: number; density?: number }
  timezone?: string
  /** What is known about the user (identify) or the account (group). */
  traits?: SegmentProperties
  userAgent?: string
  userAgentData?: Record<string, unknown>
  [key: string]: unknown
}

/** Fields every event type has. Times are ISO-8601 strings. */
interface SegmentEventBase {
  /** Unique per event (at most 100 characters); destinations use it to drop repeats. */
  messageId?: string
  /** Your id for the user (identified users). */
  userId?: string | null
  /** A device or session id, before the user is known. */
  anonymousId?: string | null
  /** Where the event came from: ip, library, page, userAgent, locale... */
  context?: SegmentContext
  /** Which destinations receive the event: All, or a destination by name. */
  integrations?: SegmentIntegrations
  /** When the event happened, corrected for the sender's clock skew. */
  timestamp?: string
  originalTimestamp?: string
  /** When the library sent the event. */
  sentAt?: string
  /** When insertfn received the event. */
  receivedAt?: string
  channel?: string
  version?: number
}

interface SegmentTrackEvent extends SegmentEventBase {
  type: 'track'
  /** The action, e.g. "Order Completed". */
  event: string
  /** What the sending app attached to the event. */
  properties?: SegmentProperties
}

interface SegmentIdentifyEvent extends SegmentEventBase {
  type: 'identify'
  /** What is known about the user (identify) or the account (group). */
  traits?: SegmentProperties
}

interface SegmentPageEvent extends SegmentEventBase {
  type: 'page'
  name?: string
  category?: string
  /** What the sending app attached to the event. */
  properties?: SegmentProperties
}

interface SegmentScreenEvent extends SegmentEventBase {
  type: 'screen'
  name?: string
  category?: string
  /** What the sending app attached to the event. */
  properties?: SegmentProperties
}

interface SegmentGroupEvent extends SegmentEventBase {
  type: 'group'
  groupId: string
  /** What is known about the user (identify) or the account (group). */
  traits?: SegmentProperties
}

interface SegmentAliasEvent extends SegmentEventBase {
  type: 'alias'
  /** The identity being merged into `userId`. */
  previousId: string
}

/** A user-deletion (GDPR) request for `userId`. */
interface SegmentDeleteEvent extends SegmentEventBase {
  type: 'delete'
  projectId?: string
}

type SegmentEvent =
  | SegmentTrackEvent
  | SegmentIdentifyEvent
  | SegmentPageEvent
  | SegmentScreenEvent
  | SegmentGroupEvent
  | SegmentAliasEvent
  | SegmentDeleteEvent

/**
 * The settings object a handler receives: the values set on the instance (secrets included, decrypted).
 * Declare yours by adding to this interface in the function file, so `settings.apiKey` is typed:
 *
 *     interface FunctionSettings { apiKey: string; sampleRate?: string }
 */
interface FunctionSettings {
  [name: string]: unknown
}
