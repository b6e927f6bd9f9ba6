// What the editor offers as you type: handler names, the runtime's globals and Segment event fields. It is
// data in one shape (a CompletionCatalog), so it can later be generated from the `insertfn/types`
// declarations instead of being written here by hand.
import type { CompletionContext, CompletionResult, Completion } from '@codemirror/autocomplete'

export interface CatalogEntry {
  name: string
  /** Shown beside the name: a signature or a type. */
  detail: string
  info: string
}

export interface CompletionCatalog {
  handlers: CatalogEntry[]
  globals: CatalogEntry[]
  /** Fields of a Segment event, as `event.<name>`; nested ones as `properties`, `context`... */
  eventFields: CatalogEntry[]
  /** Members of globals that are objects, e.g. crypto.createHash. */
  members: Record<string, CatalogEntry[]>
}

const handler = (type: string, arg = 'event'): CatalogEntry => ({
  name: `on${type}`,
  detail: `async (${arg}, settings)`,
  info: `Called for each ${type === 'Batch' ? 'batch of events (when batching is on)' : `${type.toLowerCase()} event`}. Return the event to pass it on, nothing to drop it.`,
})

export const RUNTIME_CATALOG: CompletionCatalog = {
  handlers: ['Track', 'Identify', 'Page', 'Screen', 'Group', 'Alias', 'Delete'].map((t) => handler(t)).concat(handler('Batch', 'events')),
  globals: [
    { name: 'fetch', detail: '(url, init?) => Promise<Response>', info: 'node-fetch v2 semantics; every request is recorded with status and duration.' },
    { name: 'Headers', detail: 'class', info: 'HTTP headers for fetch.' },
    { name: 'Request', detail: 'class', info: 'An HTTP request for fetch.' },
    { name: 'Response', detail: 'class', info: 'An HTTP response from fetch.' },
    { name: 'URL', detail: 'class', info: 'WHATWG URL.' },
    { name: 'URLSearchParams', detail: 'class', info: 'Query strings.' },
    { name: 'atob', detail: '(base64) => string', info: 'Decodes base64.' },
    { name: 'btoa', detail: '(string) => base64', info: 'Encodes base64.' },
    { name: 'Buffer', detail: 'class', info: 'Node-style Buffer.' },
    { name: 'crypto', detail: 'object', info: 'createHash, createHmac, randomUUID, randomBytes.' },
    { name: '_', detail: 'lodash 4', info: 'The lodash library.' },
    { name: 'console', detail: 'object', info: 'Captured: the logs appear in the test panel and the delivery records.' },
    { name: 'cache', detail: 'object', info: 'cache.load(key, ttlMs, fn) and cache.delete(key): values kept between invocations.' },
    { name: 'setTimeout', detail: '(fn, ms)', info: 'Timer.' },
    { name: 'TextEncoder', detail: 'class', info: 'UTF-8 encoding.' },
    { name: 'TextDecoder', detail: 'class', info: 'UTF-8 decoding.' },
    { name: 'EventNotSupported', detail: 'error class', info: 'Throw when the function does not handle this event type.' },
    { name: 'InvalidEventPayload', detail: 'error class', info: 'Throw when the event lacks what the function needs (not retried).' },
    { name: 'ValidationError', detail: 'error class', info: 'Throw when settings or data are invalid (not retried).' },
    { name: 'RetryError', detail: 'error class', info: 'Throw to have the event retried later.' },
    { name: 'DropEvent', detail: 'error class', info: 'Throw to drop the event on purpose (counted as filtered).' },
  ],
  eventFields: [
    { name: 'type', detail: 'string', info: 'track, identify, page, screen, group, alias or delete.' },
    { name: 'event', detail: 'string', info: 'The name of a track event.' },
    { name: 'userId', detail: 'string', info: 'Your id for the user.' },
    { name: 'anonymousId', detail: 'string', info: 'A device or session id.' },
    { name: 'properties', detail: 'object', info: 'Track, page and screen properties.' },
    { name: 'traits', detail: 'object', info: 'Identify and group traits.' },
    { name: 'context', detail: 'object', info: 'ip, library, page, userAgent, locale...' },
    { name: 'integrations', detail: 'object', info: 'Which destinations receive the event.' },
    { name: 'messageId', detail: 'string', info: 'Unique per event: use it to drop repeats.' },
    { name: 'timestamp', detail: 'ISO-8601', info: 'When the event happened.' },
    { name: 'receivedAt', detail: 'ISO-8601', info: 'When insertfn received it.' },
    { name: 'sentAt', detail: 'ISO-8601', info: 'When the library sent it.' },
    { name: 'groupId', detail: 'string', info: 'Group events: the account.' },
    { name: 'previousId', detail: 'string', info: 'Alias events: the earlier id.' },
    { name: 'name', detail: 'string', info: 'Page and screen name.' },
    { name: 'category', detail: 'string', info: 'Page category.' },
  ],
  members: {
    crypto: [
      { name: 'createHash', detail: '(algorithm)', info: 'md5, sha1, sha256, sha512.' },
      { name: 'createHmac', detail: '(algorithm, key)', info: 'Keyed hash.' },
      { name: 'randomUUID', detail: '()', info: 'A random v4 UUID.' },
      { name: 'randomBytes', detail: '(size)', info: 'Random bytes as a Buffer.' },
    ],
    cache: [
      { name: 'load', detail: '(key, ttlMs, fn)', info: 'The cached value, or fn() stored for ttlMs.' },
      { name: 'delete', detail: '(key)', info: 'Forgets a cached value.' },
    ],
    console: ['log', 'info', 'warn', 'error', 'debug'].map((n) => ({ name: n, detail: '(...values)', info: 'Captured for the test panel and delivery records.' })),
  },
}

const toCompletion = (type: string) => (e: CatalogEntry): Completion => ({ label: e.name, detail: e.detail, info: e.info, type })

/** The completion source for the function editor, over any catalog. */
export function catalogCompletions(catalog: CompletionCatalog) {
  const handlers = catalog.handlers.map(toCompletion('function'))
  const globals = catalog.globals.map(toCompletion('variable'))
  const fields = catalog.eventFields.map(toCompletion('property'))
  const members = Object.fromEntries(Object.entries(catalog.members).map(([k, v]) => [k, v.map(toCompletion('method'))]))
  return (context: CompletionContext): CompletionResult | null => {
    // `something.partial`: event fields after an event-like name, members after a known global.
    const member = context.matchBefore(/[A-Za-z_$][\w$]*\.[\w$]*$/)
    if (member !== null) {
      const dot = member.text.indexOf('.')
      const owner = member.text.slice(0, dot)
      const options = members[owner] ?? (/^(event|e|evt|payload|message)$/.test(owner) ? fields : undefined)
      if (options === undefined) return null
      return { from: member.from + dot + 1, options, validFor: /^[\w$]*$/ }
    }
    const word = context.matchBefore(/[A-Za-z_$][\w$]*$/)
    if (word === null && !context.explicit) return null
    return { from: word?.from ?? context.pos, options: [...handlers, ...globals], validFor: /^[\w$]*$/ }
  }
}
