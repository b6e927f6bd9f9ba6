// FQL text to tokens, each with the offset where it starts, so errors can point at the character.
import { FqlSyntaxError } from './errors.js'

export type Token =
  | { type: 'path'; segments: string[]; at: number }
  | { type: 'string'; value: string; at: number }
  | { type: 'number'; value: number; at: number }
  | { type: 'word'; value: 'and' | 'or' | 'in' | 'true' | 'false' | 'null'; at: number }
  | { type: 'op'; value: '=' | '!=' | '>' | '>=' | '<' | '<=' | '!' | '(' | ')' | '[' | ']' | ','; at: number }
  | { type: 'end'; at: number }

const WORDS = new Set(['and', 'or', 'in', 'true', 'false', 'null'])
const PLAIN = /[A-Za-z0-9_\-]/
const SPACE = /\s/

export function tokenize(text: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    if (SPACE.test(c)) {
      i++
      continue
    }
    const at = i
    if (c === "'" || c === '"') {
      let value = ''
      i++
      for (;;) {
        if (i >= text.length) throw new FqlSyntaxError(text, at, `unterminated string starting with ${c}`)
        const d = text[i]!
        if (d === '\\') {
          if (i + 1 >= text.length) throw new FqlSyntaxError(text, i, 'a backslash must be followed by the character it escapes')
          value += text[i + 1]
          i += 2
        } else if (d === c) {
          i++
          break
        } else {
          value += d
          i++
        }
      }
      tokens.push({ type: 'string', value, at })
      continue
    }
    if (/[0-9]/.test(c) || (c === '-' && /[0-9.]/.test(text[i + 1] ?? '') && !lastIsOperand(tokens))) {
      const match = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(text.slice(i))
      if (match === null) throw new FqlSyntaxError(text, at, 'malformed number')
      const after = text[i + match[0].length]
      if (after !== undefined && (PLAIN.test(after) || after === '.')) {
        // Not a number after all: a path segment that starts with a digit, such as 2fa_enabled.
      } else {
        tokens.push({ type: 'number', value: Number(match[0]), at })
        i += match[0].length
        continue
      }
    }
    if (PLAIN.test(c) || c === '\\') {
      const segments: string[] = []
      let segment = ''
      while (i < text.length) {
        const d = text[i]!
        if (d === '\\') {
          if (i + 1 >= text.length) throw new FqlSyntaxError(text, i, 'a backslash must be followed by the character it escapes')
          segment += text[i + 1]
          i += 2
        } else if (PLAIN.test(d)) {
          segment += d
          i++
        } else if (d === '.') {
          if (segment === '') throw new FqlSyntaxError(text, i, 'empty field name in path')
          segments.push(segment)
          segment = ''
          i++
        } else {
          break
        }
      }
      if (segment === '') throw new FqlSyntaxError(text, i, 'a path cannot end with a dot')
      segments.push(segment)
      if (segments.length === 1 && WORDS.has(segments[0]!) && text[at] !== '\\') {
        tokens.push({ type: 'word', value: segments[0] as 'and', at })
      } else {
        tokens.push({ type: 'path', segments, at })
      }
      continue
    }
    const two = text.slice(i, i + 2)
    if (two === '!=' || two === '>=' || two === '<=') {
      tokens.push({ type: 'op', value: two, at })
      i += 2
      continue
    }
    if ('=><!()[],'.includes(c)) {
      tokens.push({ type: 'op', value: c as '=', at })
      i++
      continue
    }
    throw new FqlSyntaxError(text, at, `unexpected character ${JSON.stringify(c)}`)
  }
  tokens.push({ type: 'end', at: text.length })
  return tokens
}

/** A minus after an operand is subtraction-like (FQL has none), so it is not read as a sign. */
function lastIsOperand(tokens: Token[]): boolean {
  const last = tokens.at(-1)
  return last !== undefined && (last.type === 'path' || last.type === 'string' || last.type === 'number' || (last.type === 'op' && (last.value === ')' || last.value === ']')))
}
