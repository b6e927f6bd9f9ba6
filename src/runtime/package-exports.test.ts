// The library contract: `insertfn/runtime` resolves, through package.json "exports", to built JavaScript
// with type declarations beside it.
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { it } from 'node:test'

it('insertfn/runtime resolves to the built runtime and its types', async () => {
  const runtime = (await import('insertfn/runtime')) as Record<string, unknown>
  assert.equal(typeof runtime.createRuntime, 'function')
  assert.equal(typeof runtime.FunctionLoadError, 'function')
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    exports: Record<string, { types: string; default: string }>
  }
  const entry = pkg.exports['./runtime']!
  assert.ok(existsSync(new URL(`../../../${entry.default}`, import.meta.url)), entry.default)
  assert.ok(existsSync(new URL(`../../../${entry.types}`, import.meta.url)), entry.types)
})
