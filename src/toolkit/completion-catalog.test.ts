// The editor's completions are read from the insertfn/types declarations: what the types promise is what
// the editor offers, and a declaration added there appears in the editor without a second list to keep.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { it } from 'node:test'
import { catalogFromDeclarations } from './completion-catalog.js'

const TYPES = new URL('../../../types/', import.meta.url)
const declarations = Object.fromEntries(['index.d.ts', 'globals.d.ts', 'events.d.ts'].map((f) => [f, readFileSync(new URL(f, TYPES), 'utf8')]))

it('offers every handler, global, global member and event field the declarations have, with their docs', () => {
  const catalog = catalogFromDeclarations(declarations)
  assert.deepEqual(catalog.handlers.map((h) => h.name), ['onTrack', 'onIdentify', 'onPage', 'onScreen', 'onGroup', 'onAlias', 'onDelete', 'onBatch'])
  assert.match(catalog.handlers[0]!.detail, /^\(event: SegmentTrackEvent, settings: FunctionSettings\)/)
  const globals = new Map(catalog.globals.map((g) => [g.name, g]))
  for (const name of ['fetch', 'URL', 'Buffer', 'crypto', 'console', 'cache', '_', 'atob', 'setTimeout', 'TextEncoder']) assert.ok(globals.has(name), `${name} is offered`)
  for (const name of ['RetryError', 'DropEvent', 'ValidationError', 'InvalidEventPayload', 'EventNotSupported']) assert.equal(globals.get(name)!.detail, 'error class')
  assert.match(globals.get('RetryError')!.info, /tried again/)
  for (const name of ['require', 'process', 'module']) assert.ok(!globals.has(name), `${name} is not in the sandbox, so not offered`)
  assert.ok(catalog.members.crypto!.some((m) => m.name === 'createHmac' && m.detail.startsWith('(algorithm: string')))
  assert.deepEqual(catalog.members.cache!.map((m) => m.name), ['load', 'delete'])
  const fields = catalog.eventFields.map((f) => f.name)
  for (const name of ['messageId', 'userId', 'anonymousId', 'properties', 'traits', 'context', 'event', 'groupId', 'previousId']) assert.ok(fields.includes(name), `event.${name}`)
})

it('follows the declarations: a new global, a new event field and a new member appear', () => {
  const catalog = catalogFromDeclarations({
    ...declarations,
    'extra.d.ts': [
      '/** Says hello. */',
      'declare function greet(name: string): string',
      'interface InsertfnCache {',
      '  /** Empties it. */',
      '  clear(): void',
      '}',
      'interface SegmentEventBase {',
      '  /** Added by a test. */',
      '  tenant?: string',
      '}',
    ].join('\n'),
  })
  assert.deepEqual(catalog.globals.find((g) => g.name === 'greet'), { name: 'greet', detail: '(name: string): string', info: 'Says hello.' })
  assert.deepEqual(catalog.members.cache!.map((m) => m.name), ['load', 'delete', 'clear'])
  assert.ok(catalog.eventFields.some((f) => f.name === 'tenant' && f.info === 'Added by a test.'))
})
