// Timers run on the host's clock: the host fires them by entering the sandbox with a deadline, so a
// timer callback is bounded like any other code. A timer belongs to the invocation that set it and is
// cleared when that invocation ends (as a finished Lambda is frozen); timers set while loading are
// cleared when loading ends.
import { current, enter, host, type InvocationState } from './host.js'

interface Timer {
  readonly inv: InvocationState
  readonly fn: (...args: unknown[]) => void
  readonly args: unknown[]
  readonly repeatMs: number | undefined
}

const timers = new Map<number, Timer>()
let nextTimerId = 1

function schedule(fn: unknown, delay: unknown, args: unknown[], repeat: boolean): number {
  if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be of type function')
  const ms = Math.max(0, Math.min(Number(delay) || 0, 2147483647))
  const id = nextTimerId++
  const inv = current()
  const refused = host().timer(inv.id, id, ms)
  if (refused !== undefined) throw new Error(refused)
  timers.set(id, { inv, fn: fn as Timer['fn'], args, repeatMs: repeat ? Math.max(1, ms) : undefined })
  return id
}

export function setTimeout(fn: unknown, delay?: unknown, ...args: unknown[]): number {
  return schedule(fn, delay, args, false)
}
export function setInterval(fn: unknown, delay?: unknown, ...args: unknown[]): number {
  return schedule(fn, delay, args, true)
}
export function setImmediate(fn: unknown, ...args: unknown[]): number {
  return schedule(fn, 0, args, false)
}
export function clearTimeout(id: unknown): void {
  const key = Number(id)
  if (!timers.delete(key)) return
  host().cancelTimer(key)
}
export const clearInterval = clearTimeout
export const clearImmediate = clearTimeout

export function queueMicrotask(fn: unknown): void {
  if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be of type function')
  Promise.resolve().then(fn as () => void)
}

/** Host entry: a timer is due. Returns whether the host should schedule it again (an interval). */
export function fireTimer(id: number): boolean {
  const timer = timers.get(id)
  if (timer === undefined || timer.inv.ended) return false
  enter(timer.inv)
  if (timer.repeatMs === undefined) timers.delete(id)
  timer.fn(...timer.args)
  return timer.repeatMs !== undefined && timers.has(id)
}

/** Whether any timer is set: something an event may be waiting for that only the host can bring. */
export function timersSet(): boolean {
  return timers.size > 0
}

/** Forgets the timers of an invocation that ended; the host cancels its side itself. */
export function dropTimersOf(inv: InvocationState): void {
  for (const [id, timer] of timers) if (timer.inv === inv) timers.delete(id)
}
