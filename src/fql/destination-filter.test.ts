import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { applyFilters, parseFql, type CompiledFilter, type FilterAction } from './index.js'

const filter = (fql: string, ...actions: FilterAction[]): CompiledFilter => ({ id: `f:${fql}`, title: fql, ir: parseFql(fql), actions })
const event = () => ({ type: 'track', event: 'Order Completed', userId: 'u1', properties: { email: 'a@b.c', total: 5, coupon: 'X' }, context: { ip: '1.2.3.4' } })

describe('destination filters', () => {
  it('DROP drops events the condition matches, and only those', () => {
    const f = filter("event = 'Order Completed'", { type: 'DROP' })
    assert.deepEqual(applyFilters([f], event()), { kept: false, by: f.id, reason: 'dropped' })
    assert.equal(applyFilters([f], { ...event(), event: 'Other' }).kept, true)
  })

  it('DROP_PROPERTIES removes the listed fields at each path, without changing the input', () => {
    const input = event()
    const out = applyFilters([filter("type = 'track'", { type: 'DROP_PROPERTIES', fields: { properties: ['email'], '': ['userId'], context: ['ip'] } })], input)
    assert.ok(out.kept)
    assert.deepEqual(out.event, { type: 'track', event: 'Order Completed', properties: { total: 5, coupon: 'X' }, context: {} })
    assert.equal(input.properties.email, 'a@b.c')
  })

  it('ALLOW_PROPERTIES keeps only the listed fields at each path', () => {
    const out = applyFilters([filter("type = 'track'", { type: 'ALLOW_PROPERTIES', fields: { properties: ['total'] } })], event())
    assert.ok(out.kept)
    assert.deepEqual(out.event.properties, { total: 5 })
  })

  it('SAMPLE keeps about the given share, deterministically when a path is given', () => {
    const f = filter('true = true', { type: 'SAMPLE', percent: 0.25 })
    let kept = 0
    let seed = 1
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647)
    for (let i = 0; i < 4000; i++) if (applyFilters([f], event(), random).kept) kept++
    assert.ok(kept > 850 && kept < 1150, `kept ${kept} of 4000`)
    const byUser = filter('true = true', { type: 'SAMPLE', percent: 0.5, path: 'userId' })
    const first = applyFilters([byUser], event()).kept
    for (let i = 0; i < 20; i++) assert.equal(applyFilters([byUser], event()).kept, first)
  })

  it('runs sample before drop before the property actions, whatever order they are listed in', () => {
    const f = filter('true = true', { type: 'DROP_PROPERTIES', fields: { properties: ['email'] } }, { type: 'SAMPLE', percent: 0 }, { type: 'DROP' })
    assert.deepEqual(applyFilters([f], event()), { kept: false, by: f.id, reason: 'sampled out' })
  })

  it('fails closed: a condition that cannot be evaluated keeps the event from being sent', () => {
    const f = filter("lowercase(properties.total) = '5'", { type: 'DROP_PROPERTIES', fields: { properties: ['email'] } })
    const out = applyFilters([f], event())
    assert.equal(out.kept, false)
    assert.equal(!out.kept && out.reason, 'unresolvable')
  })

  it('applies several filters in order, each to the output of the one before', () => {
    const out = applyFilters([filter('true = true', { type: 'DROP_PROPERTIES', fields: { properties: ['email'] } }), filter("typeof(properties.email) = 'null'", { type: 'DROP' })], event())
    assert.equal(out.kept, false)
  })
})
