import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { FqlSyntaxError, parseFql, testFql } from './index.js'

/** true, false, or 'unresolvable' */
function check(fql: string, event: unknown): boolean | 'unresolvable' {
  const r = testFql(parseFql(fql), event)
  return r.ok ? r.matches : 'unresolvable'
}

function syntaxError(fql: string): FqlSyntaxError {
  try {
    parseFql(fql)
  } catch (err) {
    if (err instanceof FqlSyntaxError) return err
    throw err
  }
  throw new Error(`expected ${fql} not to parse`)
}

describe("FQL: the examples table of Segment's FQL reference", () => {
  const event = {
    event: 'Button Clicked',
    type: 'track',
    context: { library: { name: 'analytics.js', version: '1.0' } },
    properties: { features: ['discounts', 'dark-mode'] },
  }
  const table: [string, boolean][] = [
    ["event = 'Button Clicked'", true],
    ["event = 'Screen Tapped'", false],
    ["context.path.path = '/login'", false],
    ["type = 'identify' or type = 'track'", true],
    ["event = 'Button Clicked' and type = 'track'", true],
    ["match( context.library.version, '1.*' )", true],
    ["match( context.library.version, '2.*' )", false],
    ["type = 'track' and ( event = 'Click' or match( event, 'Button *' ) )", true],
    ["!contains( context.library.name, 'js' )", false],
    ["'dark-mode' in properties.features", true],
    ["'blink' in properties.features", false],
  ]
  for (const [fql, expected] of table) {
    it(`${fql} is ${expected}`, () => assert.equal(check(fql, event), expected))
  }
})

describe('FQL: the glob table of match()', () => {
  const table: [string, string, boolean][] = [
    ['abcd', 'a*d', true],
    ['', '*', true],
    ['abc', 'ab', false],
    ['abcd', 'a??d', true],
    ['abcd', '*d', true],
    ['ab*d', 'ab\\*d', true],
    ['abCd', 'ab[cC]d', true],
    ['abcd', 'ab[a-z]d', true],
    ['abcd', 'ab[A-Z]d', false],
  ]
  for (const [s, pattern, expected] of table) {
    it(`match('${s}', '${pattern}') is ${expected}`, () => {
      assert.equal(check(`match(s, p)`, { s, p: pattern }), expected)
    })
  }

  it('negated classes, and patterns that would make a regular expression backtrack for ever', () => {
    assert.equal(check(`match(s, 'x[^0-9]z')`, { s: 'xyz' }), true)
    assert.equal(check(`match(s, 'x[^0-9]z')`, { s: 'x1z' }), false)
    const started = performance.now()
    assert.equal(check(`match(s, p)`, { s: 'a'.repeat(5000), p: 'a*'.repeat(50) + 'b' }), false)
    assert.ok(performance.now() - started < 2000)
  })

  it('a malformed pattern cannot be evaluated (fail closed)', () => {
    assert.equal(check(`match(s, 'ab[cd')`, { s: 'abc' }), 'unresolvable')
  })
})

describe('FQL: null handling of functions', () => {
  const table: [string, boolean][] = [
    ["contains( missing, 'x' ) = false", true],
    ['length( missing ) = 0', true],
    ['lowercase( missing ) = null', true],
    ["typeof( missing ) = 'null'", true],
    ["match( missing, '*' ) = false", true],
  ]
  for (const [fql, expected] of table) it(fql, () => assert.equal(check(fql, {}), expected))

  it('length( userId ) > 0 works without a typeof check', () => {
    assert.equal(check('length( userId ) > 0', { userId: 'u1' }), true)
    assert.equal(check('length( userId ) > 0', {}), false)
  })
})

describe('FQL: operators', () => {
  const event = { n: 5, s: '5', b: true, z: null, list: [1, 'a', null], nested: { list: [1, 'a', null] } }

  it('= and != are type-strict', () => {
    assert.equal(check('n = 5', event), true)
    assert.equal(check("s = 5", event), false)
    assert.equal(check("s != 5", event), true)
    assert.equal(check('b = true', event), true)
    assert.equal(check('z = null', event), true)
    assert.equal(check('missing = null', event), true)
    assert.equal(check("list = [1, 'a', null]", event), true)
    assert.equal(check('list = nested.list', event), true)
  })

  it('> >= < <= compare numbers only', () => {
    assert.equal(check('n > 4 and n >= 5 and n < 6 and n <= 5', event), true)
    assert.equal(check('s > 4', event), false)
    assert.equal(check('n > -1.5e1', event), true)
  })

  it('in tests membership in a list', () => {
    assert.equal(check("type in ['track', 'identify']", { type: 'track' }), true)
    assert.equal(check("!( type in ['track', 'identify'] )", { type: 'page' }), true)
    assert.equal(check('null in list', event), true)
    assert.equal(check("'x' in s", event), false)
  })

  it('and binds tighter than or, and ! tighter than both', () => {
    assert.equal(check('a or b and c', { a: true, b: true, c: false }), true)
    assert.equal(check('!a and b', { a: false, b: true }), true)
    assert.equal(check('!(a or b)', { a: false, b: true }), false)
  })

  it('a missing field, or null, is false in and / or', () => {
    assert.equal(check('properties.enabled or x = 1', { x: 1 }), true)
    assert.equal(check('properties.enabled and x = 1', { x: 1 }), false)
    assert.equal(check('!properties.enabled', {}), true)
  })

  it('a statement whose value is not a boolean does not match', () => {
    assert.equal(check('userId', { userId: 'u1' }), false)
    assert.equal(check("lowercase(event)", { event: 'X' }), false)
  })
})

describe('FQL: paths and literals', () => {
  it('escapes any character outside a-z A-Z 0-9 _ - with a backslash', () => {
    assert.equal(check("properties.product\\ 1.price = '19.99'", { properties: { 'product 1': { price: '19.99' } } }), true)
    assert.equal(check("properties.a\\.b = 1", { properties: { 'a.b': 1 } }), true)
    assert.equal(check("traits.first-name = 'Ann'", { traits: { 'first-name': 'Ann' } }), true)
  })

  it('indexes lists with numeric segments, and reads fields that start with a digit', () => {
    assert.equal(check("properties.products.1.sku = 'B'", { properties: { products: [{ sku: 'A' }, { sku: 'B' }] } }), true)
    assert.equal(check('traits.2fa = true', { traits: { '2fa': true } }), true)
  })

  it('accepts single- and double-quoted strings with escapes', () => {
    assert.equal(check(`name = "it's"`, { name: "it's" }), true)
    assert.equal(check(`name = 'say \\'hi\\''`, { name: "say 'hi'" }), true)
  })

  it('never reads inherited properties', () => {
    assert.equal(check("constructor = null and __proto__ = null and toString = null", {}), true)
  })
})

describe('FQL: functions', () => {
  it('convert case and count bytes', () => {
    assert.equal(check("lowercase(e) = 'order completed' and uppercase(e) = 'ORDER COMPLETED'", { e: 'Order Completed' }), true)
    assert.equal(check("snakecase(e) = 'test_string' and kebabcase(e) = 'test-string' and titlecase(e) = 'Test String'", { e: 'test string' }), true)
    assert.equal(check('length(s) = 3 and length(l) = 2', { s: 'ア', l: [1, 2] }), true)
  })

  it('typeof names the five types', () => {
    assert.equal(check("typeof(s) = 'string' and typeof(n) = 'number' and typeof(l) = 'list' and typeof(b) = 'bool' and typeof(z) = 'null'", { s: '', n: 0, l: [], b: false, z: null }), true)
  })

  it('bool, string and number convert', () => {
    assert.equal(check("bool(n) and !bool(zero) and string(n) = '5' and number(s) = 12.5", { n: 5, zero: 0, s: '12.5' }), true)
  })

  it('what cannot be evaluated is reported, so a filter can fail closed', () => {
    assert.equal(check("lowercase(n) = 'x'", { n: 5 }), 'unresolvable')
    assert.equal(check('number(s) > 1', { s: 'abc' }), 'unresolvable')
    assert.equal(check('length(o) > 1', { o: { a: 1 } }), 'unresolvable')
  })
})

describe('FQL: invalid statements are refused at parse time, naming the position', () => {
  const cases: [string, number, RegExp][] = [
    [`userId = oops"`, 14, /unterminated string/],
    ['type = ', 8, /expected a field, a value, a function call or "\(", found the end of the expression/],
    ["(type = 'track'", 16, /expected "\)"/],
    ["type = 'track' event", 16, /expected "and", "or" or the end of the expression, found field event/],
    ["matches(event, 'x')", 1, /unknown function matches\(\)/],
    ["contains(event)", 1, /contains\(\) takes 2 arguments, not 1/],
    ['a = #', 5, /unexpected character "#"/],
    ['', 1, /the expression is empty/],
    ['a..b = 1', 3, /empty field name in path/],
  ]
  for (const [fql, column, message] of cases) {
    it(`${JSON.stringify(fql)} fails at column ${column}`, () => {
      const err = syntaxError(fql)
      assert.match(err.message, message)
      assert.equal(err.column, column)
      assert.match(err.message, new RegExp(`^invalid FQL at line 1, column ${column}: `))
    })
  }

  it('refuses statements over 5 KB and nesting deeper than 64 levels', () => {
    assert.match(syntaxError(`a = '${'x'.repeat(6000)}'`).message, /the limit is 5120/)
    assert.match(syntaxError(`${'('.repeat(100)}a${')'.repeat(100)}`).message, /nested more than 64 levels deep/)
    assert.match(syntaxError(`${'!'.repeat(100)}a`).message, /nested more than 64 levels deep/)
  })

  it('reports the line of a multi-line statement', () => {
    const err = syntaxError("type = 'track'\nand\n= 1")
    assert.equal(err.line, 3)
    assert.equal(err.column, 1)
  })
})
