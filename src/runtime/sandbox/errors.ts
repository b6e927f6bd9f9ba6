// The error classes user code throws to steer what happens to an event (spec section 3.1).
import type { ThrownInfo } from '../bridge.js'

type ErrorClass = new (message?: string) => Error

function define(name: string): ErrorClass {
  // A named class expression keeps `name` and the constructor's name equal to the class name.
  const cls = {
    [name]: class extends Error {
      constructor(message?: string) {
        super(message)
        this.name = name
      }
    },
  }[name]!
  return cls
}

export const EventNotSupported = define('EventNotSupported')
export const InvalidEventPayload = define('InvalidEventPayload')
export const ValidationError = define('ValidationError')
export const RetryError = define('RetryError')
export const DropEvent = define('DropEvent')

const classes: [string, ErrorClass][] = [
  ['DropEvent', DropEvent],
  ['RetryError', RetryError],
  ['EventNotSupported', EventNotSupported],
  ['InvalidEventPayload', InvalidEventPayload],
  ['ValidationError', ValidationError],
]
const known = new Set(classes.map(([n]) => n))

/**
 * Which of our classes a thrown value stands for. Code ported from other runtimes often declares its own
 * `class RetryError extends Error {}`; its constructor name still says what it means.
 */
function errorType(thrown: unknown): string {
  for (const [name, cls] of classes) if (thrown instanceof cls) return name
  if (typeof thrown === 'object' && thrown !== null) {
    const name = safeGet(thrown, 'name')
    if (typeof name === 'string' && known.has(name)) return name
    const ctor = safeGet(thrown, 'constructor')
    const ctorName = typeof ctor === 'function' ? safeGet(ctor, 'name') : undefined
    if (typeof ctorName === 'string' && known.has(ctorName)) return ctorName
    if (typeof name === 'string' && name !== '') return name
  }
  return 'Error'
}

function safeGet(obj: object, key: string): unknown {
  try {
    return (obj as Record<string, unknown>)[key]
  } catch {
    return undefined
  }
}

function safeString(value: unknown, fallback: string): string {
  try {
    return typeof value === 'string' ? value : String(value)
  } catch {
    return fallback
  }
}

/** Flattens anything thrown into plain strings; hostile getters and toString traps cannot escape it. */
export function describeThrown(thrown: unknown): ThrownInfo {
  const type = errorType(thrown)
  if (typeof thrown === 'object' && thrown !== null) {
    const name = safeGet(thrown, 'name')
    const message = safeGet(thrown, 'message')
    const stack = safeGet(thrown, 'stack')
    return {
      type,
      name: typeof name === 'string' && name !== '' ? name : type,
      message: message === undefined ? safeString(thrown, '[unprintable thrown object]') : safeString(message, ''),
      ...(typeof stack === 'string' ? { stack } : {}),
    }
  }
  return { type, name: 'Error', message: safeString(thrown, '[unprintable thrown value]') }
}

export function isDropEvent(info: ThrownInfo): boolean {
  return info.type === 'DropEvent'
}
