// console.* inside the sandbox: formatted like Node's, captured per invocation, capped in bytes.
import type { LogLevel } from '../bridge.js'
import { bootInfo, current, type InvocationState } from './host.js'

function inspect(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      return depth === 0 ? value : JSON.stringify(value)
    case 'function':
      return `[Function: ${value.name || 'anonymous'}]`
    case 'bigint':
      return `${value}n`
    case 'symbol':
      return value.toString()
    case 'undefined':
      return 'undefined'
    case 'object':
      break
    default:
      return String(value)
  }
  if (value === null) return 'null'
  if (value instanceof Error) return value.stack ?? `${value.name}: ${value.message}`
  const seen = new WeakSet<object>()
  try {
    return JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === 'bigint') return `${v}n`
      if (typeof v === 'object' && v !== null) {
        if (seen.has(v)) return '[Circular]'
        seen.add(v)
      }
      return v
    }) ?? String(value)
  } catch {
    return Object.prototype.toString.call(value)
  }
}

/** Node's util.format, reduced to what logs need: %s %d %i %f %j %o %O %% and inspected extras. */
export function format(args: unknown[]): string {
  let first = args[0]
  let rest = 1
  let out: string
  if (typeof first === 'string' && first.includes('%')) {
    out = first.replace(/%([sdifjoO%])/g, (match, code: string) => {
      if (code === '%') return '%'
      if (rest >= args.length) return match
      const arg = args[rest++]
      switch (code) {
        case 's':
          return typeof arg === 'string' ? arg : inspect(arg, 1)
        case 'd':
        case 'i': {
          const n = Number(arg)
          return String(code === 'i' ? Math.trunc(n) : n)
        }
        case 'f':
          return String(parseFloat(String(arg)))
        default:
          return inspect(arg, 1)
      }
    })
  } else {
    out = inspect(first, 0)
  }
  for (; rest < args.length; rest++) out += ' ' + inspect(args[rest], 0)
  return out
}

/** A line from insertfn itself: always kept, whatever the cap. */
export function note(inv: InvocationState, level: LogLevel, message: string): void {
  inv.logs.push({ level, message })
}

function capture(level: LogLevel, args: unknown[]): void {
  const inv = current()
  if (inv.ended) return
  const max = bootInfo().maxLogBytes
  let message: string
  try {
    message = format(args)
  } catch (err) {
    message = `[console.${level}: arguments could not be formatted: ${String(err)}]`
  }
  const room = max - inv.logBytes
  if (room <= 0) {
    inv.droppedLogBytes += message.length
    return
  }
  if (message.length > room) {
    inv.droppedLogBytes += message.length - room
    message = message.slice(0, room)
  }
  inv.logBytes += message.length
  inv.logs.push({ level, message })
}

export const sandboxConsole = Object.freeze({
  log: (...args: unknown[]) => capture('log', args),
  info: (...args: unknown[]) => capture('info', args),
  warn: (...args: unknown[]) => capture('warn', args),
  error: (...args: unknown[]) => capture('error', args),
  debug: (...args: unknown[]) => capture('debug', args),
  trace: (...args: unknown[]) => capture('debug', args),
})
