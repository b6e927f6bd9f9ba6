// Asynchronous host calls (fetch, crypto.subtle): the sandbox asks, the host answers later by entering
// `settle`. Pending calls belong to the invocation that made them and are rejected when it is abandoned.
import type { AsyncCallKind } from '../bridge.js'
import { current, host } from './host.js'

interface Pending {
  invocationId: number
  resolve: (value: unknown) => void
  reject: (reason: unknown) => void
  fail: (value: unknown) => unknown
}

const pending = new Map<number, Pending>()
let nextCallId = 1

/** Starts a host call; `fail` turns the host's failure value into what the promise rejects with. */
export function callHost<T>(kind: AsyncCallKind, payload: unknown, fail: (value: unknown) => unknown): Promise<T> {
  const invocationId = current().id
  const callId = nextCallId++
  return new Promise<T>((resolve, reject) => {
    const refused = host().start(invocationId, callId, kind, payload)
    if (refused !== undefined) {
      reject(fail({ name: 'Error', message: refused }))
      return
    }
    pending.set(callId, { invocationId, resolve: resolve as (value: unknown) => void, reject, fail })
  })
}

export function settleCall(callId: number, ok: boolean, value: unknown): void {
  const call = pending.get(callId)
  if (call === undefined) return
  pending.delete(callId)
  if (ok) call.resolve(value)
  else call.reject(call.fail(value))
}

/** Whether any host call is unanswered: something an event may be waiting for that only the host can bring. */
export function callsPending(): boolean {
  return pending.size > 0
}

export function rejectCallsOf(invocationId: number, reason: () => unknown): void {
  for (const [callId, call] of pending) {
    if (call.invocationId !== invocationId) continue
    pending.delete(callId)
    call.reject(reason())
  }
}
