// Evaluates an FQL tree against an event. Types are strict (`'1' = 1` is false); functions treat null as
// the spec says; anything FQL cannot evaluate (lowercase of a number, say) makes the whole statement
// unresolvable, and callers fail closed: the event is not sent.
import { assertNever, type FqlNode } from './ast.js'
import { GlobPatternError, globMatch } from './glob.js'

type Value = string | number | boolean | null | Value[] | { [key: string]: Value }

class Unresolvable extends Error {}

function typeOf(v: Value): 'string' | 'number' | 'bool' | 'null' | 'list' | 'object' {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'list'
  switch (typeof v) {
    case 'string':
      return 'string'
    case 'number':
      return 'number'
    case 'boolean':
      return 'bool'
    default:
      return 'object'
  }
}

function equal(a: Value, b: Value): boolean {
  const type = typeOf(a)
  if (type !== typeOf(b)) return false
  if (type === 'list') {
    const x = a as Value[]
    const y = b as Value[]
    return x.length === y.length && x.every((item, i) => equal(item, y[i]!))
  }
  if (type === 'object') {
    const x = a as Record<string, Value>
    const y = b as Record<string, Value>
    const keys = Object.keys(x)
    return keys.length === Object.keys(y).length && keys.every((k) => Object.hasOwn(y, k) && equal(x[k]!, y[k]!))
  }
  return a === b
}

function resolvePath(event: unknown, segments: readonly string[]): Value {
  let current: unknown = event
  for (const segment of segments) {
    if (Array.isArray(current) && /^\d+$/.test(segment)) current = current[Number(segment)]
    else if (typeof current === 'object' && current !== null && !Array.isArray(current) && Object.hasOwn(current, segment)) {
      current = (current as Record<string, unknown>)[segment]
    } else return null
  }
  return current === undefined ? null : (current as Value)
}

function truthy(v: Value): boolean {
  switch (typeOf(v)) {
    case 'bool':
      return v as boolean
    case 'null':
      return false
    case 'number':
      return v !== 0
    case 'string':
      return v !== '' && v !== 'false' && v !== '0'
    case 'list':
      return (v as Value[]).length > 0
    default:
      return true
  }
}

function str(v: Value, fn: string): string | null {
  if (v === null) return null
  if (typeof v !== 'string') throw new Unresolvable(`${fn}() needs a string, not a ${typeOf(v)}`)
  return v
}

function call(fn: string, args: Value[]): Value {
  const [a, b] = args as [Value, Value]
  switch (fn) {
    case 'contains':
      return typeof a === 'string' && typeof b === 'string' ? a.includes(b) : false
    case 'length':
      if (a === null) return 0
      if (typeof a === 'string') return Buffer.byteLength(a)
      if (Array.isArray(a)) return a.length
      throw new Unresolvable(`length() needs a list or a string, not a ${typeOf(a)}`)
    case 'lowercase':
      return str(a, fn)?.toLowerCase() ?? null
    case 'uppercase':
      return str(a, fn)?.toUpperCase() ?? null
    case 'snakecase':
      return str(a, fn)?.replace(/ /g, '_') ?? null
    case 'kebabcase':
      return str(a, fn)?.replace(/ /g, '-') ?? null
    case 'titlecase':
      return str(a, fn)?.replace(/(^|\s)(\S)/g, (_m, space: string, first: string) => space + first.toUpperCase()) ?? null
    case 'typeof':
      return typeOf(a)
    case 'match':
      if (typeof a !== 'string' || typeof b !== 'string') return false
      try {
        return globMatch(a, b)
      } catch (err) {
        if (err instanceof GlobPatternError) throw new Unresolvable(err.message)
        throw err
      }
    case 'bool':
      return truthy(a)
    case 'string':
      return typeof a === 'string' ? a : a === null ? 'null' : JSON.stringify(a)
    case 'number': {
      if (typeof a === 'number') return a
      const n = typeof a === 'string' && a.trim() !== '' ? Number(a) : NaN
      if (Number.isNaN(n)) throw new Unresolvable(`number() cannot convert ${JSON.stringify(a)}`)
      return n
    }
    default:
      throw new Unresolvable(`unknown function ${fn}()`)
  }
}

function evaluate(node: FqlNode, event: unknown): Value {
  switch (node.kind) {
    case 'Path':
      return resolvePath(event, node.segments)
    case 'Literal':
      return node.value
    case 'List':
      return node.items.map((item) => evaluate(item, event))
    case 'Not':
      return !truthy(evaluate(node.expr, event))
    case 'And':
      return evaluate(node.left, event) === true && evaluate(node.right, event) === true
    case 'Or':
      return evaluate(node.left, event) === true || evaluate(node.right, event) === true
    case 'Compare': {
      const left = evaluate(node.left, event)
      const right = evaluate(node.right, event)
      switch (node.op) {
        case '=':
          return equal(left, right)
        case '!=':
          return !equal(left, right)
        case '>':
          return typeof left === 'number' && typeof right === 'number' && left > right
        case '>=':
          return typeof left === 'number' && typeof right === 'number' && left >= right
        case '<':
          return typeof left === 'number' && typeof right === 'number' && left < right
        case '<=':
          return typeof left === 'number' && typeof right === 'number' && left <= right
        case 'in':
          return Array.isArray(right) && right.some((item) => equal(left, item))
        default:
          return assertNever(node.op as never)
      }
    }
    case 'Call':
      return call(node.fn, node.args.map((arg) => evaluate(arg, event)))
    default:
      return assertNever(node)
  }
}

export type FqlResult = { ok: true; matches: boolean } | { ok: false; reason: string }

/**
 * Whether the event matches. A statement that does not evaluate to true (including one that evaluates to
 * a non-boolean) does not match; one that cannot be evaluated at all is reported, so the caller can fail
 * closed.
 */
export function testFql(node: FqlNode, event: unknown): FqlResult {
  try {
    return { ok: true, matches: evaluate(node, event) === true }
  } catch (err) {
    if (err instanceof Unresolvable) return { ok: false, reason: err.message }
    throw err
  }
}
