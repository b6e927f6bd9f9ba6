// Glob matching for FQL's match(): *, ?, [abc], [a-z], [^abc] and \x, case-sensitive, over the whole
// string. Matched with one backtrack point per star, so time is bounded by length × pattern size
// (a regular expression built from a hostile pattern could backtrack exponentially).

type Part = { kind: 'star' } | { kind: 'one' } | { kind: 'char'; c: string } | { kind: 'class'; negate: boolean; ranges: [string, string][] }

export class GlobPatternError extends Error {}

function compile(pattern: string): Part[] {
  const chars = Array.from(pattern)
  const parts: Part[] = []
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!
    if (c === '*') {
      if (parts.at(-1)?.kind !== 'star') parts.push({ kind: 'star' })
    } else if (c === '?') parts.push({ kind: 'one' })
    else if (c === '\\') {
      if (i + 1 >= chars.length) throw new GlobPatternError(`pattern ${JSON.stringify(pattern)} ends with a lone backslash`)
      parts.push({ kind: 'char', c: chars[++i]! })
    } else if (c === '[') {
      const start = i
      let negate = false
      if (chars[i + 1] === '^' || chars[i + 1] === '!') {
        negate = true
        i++
      }
      const ranges: [string, string][] = []
      for (;;) {
        i++
        if (i >= chars.length) throw new GlobPatternError(`pattern ${JSON.stringify(pattern)} has an unclosed [ at ${start + 1}`)
        let lo = chars[i]!
        if (lo === ']' && ranges.length > 0) break
        if (lo === '\\') lo = chars[++i] ?? ''
        let hi = lo
        if (chars[i + 1] === '-' && chars[i + 2] !== undefined && chars[i + 2] !== ']') {
          hi = chars[i + 2] === '\\' ? (chars[i + 3] ?? '') : chars[i + 2]!
          i += chars[i + 2] === '\\' ? 3 : 2
        }
        ranges.push([lo, hi])
      }
      parts.push({ kind: 'class', negate, ranges })
    } else parts.push({ kind: 'char', c })
  }
  return parts
}

function matchesOne(part: Part, c: string): boolean {
  switch (part.kind) {
    case 'one':
      return true
    case 'char':
      return part.c === c
    case 'class': {
      const inside = part.ranges.some(([lo, hi]) => c >= lo && c <= hi)
      return inside !== part.negate
    }
    case 'star':
      return false
  }
}

export function globMatch(text: string, pattern: string): boolean {
  const parts = compile(pattern)
  const chars = Array.from(text)
  let s = 0
  let p = 0
  let starAt = -1
  let starText = 0
  while (s < chars.length) {
    const part = parts[p]
    if (part !== undefined && part.kind === 'star') {
      starAt = p++
      starText = s
    } else if (part !== undefined && matchesOne(part, chars[s]!)) {
      s++
      p++
    } else if (starAt >= 0) {
      p = starAt + 1
      s = ++starText
    } else {
      return false
    }
  }
  while (parts[p]?.kind === 'star') p++
  return p === parts.length
}
