// The sandbox side of the bridge: the host callbacks (kept in this module's closure, never on a global),
// and the invocation that is running now, to which console output, timers and requests belong.
import type { BootInfo, HostBridge, HostAnswer, LogLine } from '../bridge.js'

export interface InvocationState {
  readonly id: number
  logs: LogLine[]
  logBytes: number
  droppedLogBytes: number
  ended: boolean
}

let bridge: HostBridge | undefined
let info: BootInfo = { maxLogBytes: 4096, maxResultBytes: 262144, runSliceMs: 10 }

export function attach(host: HostBridge, boot: BootInfo): void {
  bridge = host
  info = boot
}

export function host(): HostBridge {
  if (bridge === undefined) throw new Error('insertfn sandbox used before boot')
  return bridge
}

export function bootInfo(): BootInfo {
  return info
}

/** Work that runs outside any invocation (loading the code) is attributed to this one. */
export const detached: InvocationState = { id: 0, logs: [], logBytes: 0, droppedLogBytes: 0, ended: false }

let running: InvocationState = detached
export function current(): InvocationState {
  return running
}
export function enter(inv: InvocationState): void {
  running = inv
}

/** Calls a synchronous host service; a refusal becomes an error of the named class inside the sandbox. */
export function hostSync<T>(op: string, ...args: unknown[]): T {
  const answer = host().sync(op, args) as HostAnswer<T>
  if (answer.ok) return answer.value
  const ErrorClass = answer.name === 'TypeError' ? TypeError : answer.name === 'RangeError' ? RangeError : Error
  const err = new ErrorClass(answer.message)
  if (ErrorClass === Error && answer.name !== 'Error') err.name = answer.name
  throw err
}
