import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { InvocationTable } from './invocation-table.js'

const inv = (id: number) => ({ id, name: `inv ${id}` })
const run = (base: number, n: number) => Array.from({ length: n }, (_, i) => inv(base + i))
const ids = (t: InvocationTable<{ id: number }>) => t.values().map((i) => i.id).sort((a, b) => a - b)

describe('InvocationTable', () => {
  it('finds invocations by id, in runs of one and of many', () => {
    const t = new InvocationTable<{ id: number; name: string }>()
    t.addRun([inv(1)])
    t.addRun(run(10, 3))
    t.addRun(run(20, 2))
    assert.equal(t.get(1)?.name, 'inv 1')
    assert.equal(t.get(11)?.name, 'inv 11')
    assert.equal(t.get(21)?.name, 'inv 21')
    assert.equal(t.get(13), undefined, 'one past the end of a run')
    assert.equal(t.get(9), undefined)
    assert.deepEqual(ids(t), [1, 10, 11, 12, 20, 21])
  })

  it('forgets an invocation once it is deleted, and a run once all of its invocations are', () => {
    const t = new InvocationTable<{ id: number }>()
    t.addRun(run(10, 3))
    t.delete(11)
    assert.equal(t.get(11), undefined)
    assert.deepEqual(ids(t), [10, 12])
    t.delete(11) // twice: nothing more happens
    t.delete(10)
    assert.deepEqual(ids(t), [12])
    t.delete(12)
    assert.deepEqual(ids(t), [])
    // The run's ids are free again: a new run with them is a new run, not the old one's leftovers.
    t.addRun(run(10, 1))
    assert.deepEqual(ids(t), [10])
  })

  it('lets invocations be deleted while going through values() (a fault settles every one)', () => {
    const t = new InvocationTable<{ id: number }>()
    t.addRun([inv(1)])
    t.addRun(run(5, 4))
    for (const i of t.values()) t.delete(i.id)
    assert.deepEqual(ids(t), [])
  })

  it('refuses a run whose ids are not consecutive, or that comes before the runs it has, since lookups compute the slot from the id', () => {
    const t = new InvocationTable<{ id: number }>()
    assert.throws(() => t.addRun([inv(1), inv(3)]), /consecutive ids/)
    t.addRun(run(10, 2))
    assert.throws(() => t.addRun(run(11, 2)), /ids only grow/)
  })

  it('finds every invocation among many runs in flight, as when each event waits on a request', () => {
    const t = new InvocationTable<{ id: number }>()
    for (let base = 0; base < 3000; base += 3) t.addRun(run(base, base % 2 === 0 ? 1 : 2))
    for (let id = 0; id < 3000; id++) {
      const inRun = id % 3 === 0 || (id % 3 === 1 && (id - 1) % 2 === 1)
      assert.equal(t.get(id)?.id, inRun ? id : undefined, `id ${id}`)
    }
    for (let base = 0; base < 3000; base += 6) t.delete(base)
    assert.equal(t.get(0), undefined)
    assert.equal(t.get(3)?.id, 3)
    assert.equal(t.get(4)?.id, 4)
  })
})
