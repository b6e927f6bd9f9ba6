// A queued event as the worker reads it: JSON text, parsed only when something needs the object. The
// stamp (spec/events.ts) writes the messageId first, which is all most jobs need (grouping, dedupe,
// records); the integrations object and the destination's filters need the object, and the function and
// the webhook take the text as it is. Text from elsewhere (an older queue) is parsed at once.
import { routedTo } from './integrations.js'

const HEAD = '{"messageId":"'
const INTEGRATIONS = '"integrations":'

/**
 * text.slice(start, end) as a string of its own. V8 cuts a slice as a view into the text, which would keep
 * the whole event alive for as long as its messageId is held: the dedupe holds up to 500,000 of them
 * (about 90 MB per 100,000 events of 700 bytes). Slicing a concatenation makes V8 write the concatenation
 * out first, so the result points into that short copy instead.
 */
function detachedSlice(text: string, start: number, end: number): string {
  return ('"' + text.slice(start, end)).slice(1)
}

export class QueuedEvent {
  readonly text: string
  readonly messageId: string | undefined
  #object: Record<string, unknown> | undefined

  private constructor(text: string, messageId: string | undefined, object?: Record<string, unknown>) {
    this.text = text
    this.messageId = messageId
    this.#object = object
  }

  /** The event of a job, or undefined when the text is not a JSON object. */
  static read(text: string): QueuedEvent | undefined {
    if (text.startsWith(HEAD)) {
      const end = text.indexOf('"', HEAD.length)
      const id = end < 0 ? undefined : detachedSlice(text, HEAD.length, end)
      // An id with an escape in it is read by the parser, which knows where it ends.
      if (id !== undefined && !id.includes('\\')) return new QueuedEvent(text, id === '' ? undefined : id)
    }
    let object: unknown
    try {
      object = JSON.parse(text)
    } catch {
      return undefined
    }
    if (typeof object !== 'object' || object === null || Array.isArray(object)) return undefined
    const messageId = (object as { messageId?: unknown }).messageId
    return new QueuedEvent(text, typeof messageId === 'string' && messageId !== '' ? messageId : undefined, object as Record<string, unknown>)
  }

  /** The event as an object (parsed on first use). */
  get object(): Record<string, unknown> {
    return (this.#object ??= JSON.parse(this.text) as Record<string, unknown>)
  }

  /**
   * Whether the integrations object lets the event reach the destination. Only text that holds a
   * non-empty `"integrations":` anywhere is parsed to find out: an event without one goes everywhere.
   */
  routedTo(destinationName: string): boolean {
    if (this.#object === undefined) {
      let routing = false
      for (let at = this.text.indexOf(INTEGRATIONS); at >= 0 && !routing; at = this.text.indexOf(INTEGRATIONS, at + 1)) {
        routing = !this.text.startsWith('{}', at + INTEGRATIONS.length)
      }
      if (!routing) return true
    }
    return routedTo(this.object, destinationName)
  }
}
