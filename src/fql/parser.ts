// FQL text to a syntax tree, by recursive descent. Precedence, loosest first: or, and, !, comparison.
// Limits (5 KB of text, as Segment's; 64 levels of nesting) keep hostile filters from exhausting the stack.
import { FUNCTIONS, type CompareOp, type FqlFunction, type FqlNode } from './ast.js'
import { FqlSyntaxError } from './errors.js'
import { tokenize, type Token } from './lexer.js'

export const MAX_FQL_BYTES = 5 * 1024
const MAX_DEPTH = 64
const COMPARE = new Set(['=', '!=', '>', '>=', '<', '<=', 'in'])

function describe(t: Token): string {
  switch (t.type) {
    case 'end':
      return 'the end of the expression'
    case 'path':
      return `field ${t.segments.join('.')}`
    case 'string':
      return `string ${JSON.stringify(t.value)}`
    case 'number':
      return `number ${t.value}`
    default:
      return `"${t.value}"`
  }
}

class Parser {
  #i = 0
  #depth = 0
  constructor(
    readonly text: string,
    readonly tokens: Token[],
  ) {}

  get #peek(): Token {
    return this.tokens[this.#i]!
  }
  #next(): Token {
    return this.tokens[this.#i++]!
  }
  #fail(t: Token, expected: string): never {
    throw new FqlSyntaxError(this.text, t.at, `expected ${expected}, found ${describe(t)}`)
  }
  #isOp(value: string): boolean {
    const t = this.#peek
    return t.type === 'op' && t.value === value
  }
  #isWord(value: string): boolean {
    const t = this.#peek
    return t.type === 'word' && t.value === value
  }
  #expectOp(value: string): void {
    if (!this.#isOp(value)) this.#fail(this.#peek, `"${value}"`)
    this.#i++
  }
  #nest<T>(t: Token, parse: () => T): T {
    if (++this.#depth > MAX_DEPTH) throw new FqlSyntaxError(this.text, t.at, `nested more than ${MAX_DEPTH} levels deep`)
    try {
      return parse()
    } finally {
      this.#depth--
    }
  }

  parse(): FqlNode {
    const node = this.#or()
    if (this.#peek.type !== 'end') this.#fail(this.#peek, '"and", "or" or the end of the expression')
    return node
  }

  #or(): FqlNode {
    let left = this.#and()
    while (this.#isWord('or')) {
      this.#i++
      left = Object.freeze({ kind: 'Or', left, right: this.#and() })
    }
    return left
  }

  #and(): FqlNode {
    let left = this.#not()
    while (this.#isWord('and')) {
      this.#i++
      left = Object.freeze({ kind: 'And', left, right: this.#not() })
    }
    return left
  }

  #not(): FqlNode {
    const t = this.#peek
    if (t.type === 'op' && t.value === '!') {
      this.#i++
      return this.#nest(t, () => Object.freeze({ kind: 'Not', expr: this.#not() }))
    }
    return this.#comparison()
  }

  #comparison(): FqlNode {
    const left = this.#operand()
    const t = this.#peek
    const op = t.type === 'op' || t.type === 'word' ? t.value : undefined
    if (op === undefined || !COMPARE.has(op)) return left
    this.#i++
    const right = this.#operand()
    return Object.freeze({ kind: 'Compare', op: op as CompareOp, left, right })
  }

  #operand(): FqlNode {
    const t = this.#next()
    switch (t.type) {
      case 'string':
      case 'number':
        return Object.freeze({ kind: 'Literal', value: t.value })
      case 'word':
        if (t.value === 'true' || t.value === 'false') return Object.freeze({ kind: 'Literal', value: t.value === 'true' })
        if (t.value === 'null') return Object.freeze({ kind: 'Literal', value: null })
        return this.#fail(t, 'a field, a value, a function call or "("')
      case 'path':
        return this.#isOp('(') ? this.#call(t) : Object.freeze({ kind: 'Path', segments: Object.freeze([...t.segments]) })
      case 'op':
        if (t.value === '(') {
          return this.#nest(t, () => {
            const inner = this.#or()
            this.#expectOp(')')
            return inner
          })
        }
        if (t.value === '[') return this.#nest(t, () => this.#list())
        if (t.value === '!') {
          // `a = !b`: a negation where a value is expected.
          this.#i--
          return this.#not()
        }
        return this.#fail(t, 'a field, a value, a function call or "("')
      case 'end':
        return this.#fail(t, 'a field, a value, a function call or "("')
    }
  }

  #list(): FqlNode {
    const items: FqlNode[] = []
    if (!this.#isOp(']')) {
      for (;;) {
        items.push(this.#operand())
        if (this.#isOp(']')) break
        this.#expectOp(',')
      }
    }
    this.#i++
    return Object.freeze({ kind: 'List', items: Object.freeze(items) })
  }

  #call(name: Extract<Token, { type: 'path' }>): FqlNode {
    const fn = name.segments.join('.')
    if (name.segments.length !== 1 || !Object.hasOwn(FUNCTIONS, fn)) {
      throw new FqlSyntaxError(this.text, name.at, `unknown function ${fn}(); FQL has ${Object.keys(FUNCTIONS).join(', ')}`)
    }
    this.#i++ // (
    return this.#nest(name, () => {
      const args: FqlNode[] = []
      if (!this.#isOp(')')) {
        for (;;) {
          args.push(this.#or())
          if (this.#isOp(')')) break
          this.#expectOp(',')
        }
      }
      this.#i++
      const arity = FUNCTIONS[fn as FqlFunction]
      if (args.length !== arity) {
        throw new FqlSyntaxError(this.text, name.at, `${fn}() takes ${arity} argument${arity === 1 ? '' : 's'}, not ${args.length}`)
      }
      return Object.freeze({ kind: 'Call', fn: fn as FqlFunction, args: Object.freeze(args) })
    })
  }
}

/** Parses FQL text; throws FqlSyntaxError with the line and column of the problem. */
export function parseFql(text: string): FqlNode {
  if (typeof text !== 'string') throw new TypeError('FQL must be a string')
  const bytes = Buffer.byteLength(text)
  if (bytes > MAX_FQL_BYTES) throw new FqlSyntaxError(text, MAX_FQL_BYTES, `the expression is ${bytes} bytes; the limit is ${MAX_FQL_BYTES}`)
  if (text.trim() === '') throw new FqlSyntaxError(text, 0, 'the expression is empty')
  return new Parser(text, tokenize(text)).parse()
}
