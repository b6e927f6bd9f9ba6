import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { RecentDeliveries } from './recent-deliveries.js'

describe('RecentDeliveries', () => {
  it('remembers when a messageId was delivered to a destination, per destination', () => {
    const recent = new RecentDeliveries(10)
    recent.remember('dst_a', 'm1', 100)
    assert.equal(recent.at('dst_a', 'm1'), 100)
    assert.equal(recent.at('dst_b', 'm1'), undefined)
    assert.equal(recent.at('dst_a', 'm2'), undefined)
  })

  it('keeps the most recent deliveries and forgets the oldest once it is over its capacity', () => {
    const recent = new RecentDeliveries(10)
    for (let i = 0; i < 25; i++) recent.remember('dst', `m${i}`, i)
    assert.ok(recent.size <= 10, `holds ${recent.size}`)
    for (let i = 20; i < 25; i++) assert.equal(recent.at('dst', `m${i}`), i, `m${i} is among the five most recent`)
    assert.equal(recent.at('dst', 'm0'), undefined)
    assert.equal(recent.at('dst', 'm9'), undefined)
  })

  it('a later delivery of the same messageId replaces the time', () => {
    const recent = new RecentDeliveries(4)
    recent.remember('dst', 'm', 1)
    recent.remember('dst', 'x', 2)
    recent.remember('dst', 'm', 3)
    assert.equal(recent.at('dst', 'm'), 3)
  })
})
