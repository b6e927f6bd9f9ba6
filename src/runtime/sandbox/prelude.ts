// The sandbox's global scope, built once per isolate before user code runs. The host runs this bundle,
// calls the boot function it leaves behind (which then removes itself) and keeps the entries it returns.
// Host callbacks live only in module closures: user code can reach none of them.
import { Buffer } from './lazy-buffer.js'
import type { BootInfo, HostBridge, SandboxEntries } from '../bridge.js'
import { sandboxCache } from './cache.js'
import { settleCall } from './calls.js'
import { sandboxConsole } from './console.js'
import { sandboxCrypto, CryptoKey } from './crypto.js'
import { EventNotSupported, InvalidEventPayload, RetryError, ValidationError, DropEvent } from './errors.js'
import { TextDecoder, TextEncoder, atob, btoa } from './encoding.js'
import { Headers, Request, Response, fetch } from './fetch.js'
import { collect, end, enterInvocation, install, invoke, invokeEach } from './dispatch.js'
import { detached, attach, enter } from './host.js'
import * as timers from './timers.js'
import { URL, URLSearchParams } from './url.js'

const g = globalThis as unknown as Record<string, unknown>

function define(name: string, value: unknown): void {
  // Writable and configurable, so user code may shadow any of these with its own declarations.
  Object.defineProperty(g, name, { value, writable: true, configurable: true, enumerable: false })
}

/** A global computed on first read; assigning to it replaces it with a plain value. */
function defineLazy(name: string, get: () => unknown): void {
  Object.defineProperty(g, name, {
    configurable: true,
    enumerable: false,
    get,
    set(value: unknown) {
      define(name, value)
    },
  })
}

function installGlobals(): void {
  const values: Record<string, unknown> = {
    fetch, Headers, Request, Response, URL, URLSearchParams, atob, btoa, TextEncoder, TextDecoder,
    crypto: sandboxCrypto, CryptoKey, console: sandboxConsole, cache: sandboxCache,
    setTimeout: timers.setTimeout, clearTimeout: timers.clearTimeout, setInterval: timers.setInterval,
    clearInterval: timers.clearInterval, setImmediate: timers.setImmediate, clearImmediate: timers.clearImmediate,
    queueMicrotask: timers.queueMicrotask,
    EventNotSupported, InvalidEventPayload, ValidationError, RetryError, DropEvent,
    require: function require(id: unknown): never {
      throw new Error(
        `require(${JSON.stringify(String(id))}) is not available in insert functions: use the globals instead ` +
          '(fetch, crypto, _ for lodash, Buffer, URL, btoa/atob, cache); other packages cannot be imported',
      )
    },
  }
  for (const name of Object.keys(values)) define(name, values[name])

  // lodash is large and Buffer slow to set up, and most functions use neither: both load on first use.
  let lodash: unknown
  defineLazy('_', () => (lodash ??= require('lodash')))
  defineLazy('Buffer', Buffer)

  // A wait on shared memory cannot be interrupted by the deadline, and WebAssembly compiles off-thread:
  // user functions need neither.
  const atomics = g.Atomics as Record<string, unknown> | undefined
  if (atomics !== undefined) {
    delete atomics.wait
    delete atomics.waitAsync
  }
  delete g.SharedArrayBuffer
  delete g.WebAssembly

  // The resolver script calls this once, after the user's code, to hand over the handlers.
  Object.defineProperty(g, '__insertfn_install', { value: install, writable: false, configurable: false, enumerable: false })
}

function boot(
  done: HostBridge['done'],
  start: HostBridge['start'],
  timer: HostBridge['timer'],
  cancelTimer: HostBridge['cancelTimer'],
  sync: HostBridge['sync'],
  info: BootInfo,
): SandboxEntries[keyof SandboxEntries][] {
  delete g.__insertfn_boot
  attach({ done, start, timer, cancelTimer, sync }, info)
  installGlobals()
  enter(detached)
  const entries: SandboxEntries = {
    invoke,
    settle(invocationId, callId, ok, value) {
      enterInvocation(invocationId)
      settleCall(callId, ok, value)
    },
    fire(invocationId, timerId) {
      enterInvocation(invocationId)
      return timers.fireTimer(timerId)
    },
    end,
    invokeEach,
    collect,
  }
  return [entries.invoke, entries.settle, entries.fire, entries.end, entries.invokeEach, entries.collect]
}

Object.defineProperty(g, '__insertfn_boot', { value: boot, writable: true, configurable: true, enumerable: false })
