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

  it('tells apart events whose destination and messageId join to the same text', () => {
    const recent = new RecentDeliveries(10)
    recent.remember('dst_ab', 'c', 1)
    assert.equal(recent.at('dst_a', 'bc'), undefined)
    assert.equal(recent.at('dst_ab', 'c'), 1)
  })

  it('holds 100,000 deliveries across many destinations and finds each, with no false repeat among 100,000 others', () => {
    const recent = new RecentDeliveries(200_000)
    const id = (i: number) => `ajs-next-${(i * 2654435761).toString(36)}-${i}`
    for (let i = 0; i < 100_000; i++) recent.remember(`dst_${i % 7}`, id(i), i)
    assert.equal(recent.size, 100_000)
    for (let i = 0; i < 100_000; i++) assert.equal(recent.at(`dst_${i % 7}`, id(i)), i)
    let falseRepeats = 0
    for (let i = 100_000; i < 200_000; i++) if (recent.at(`dst_${i % 7}`, id(i)) !== undefined) falseRepeats++
    // The same messageId to another destination is not a repeat either.
    for (let i = 0; i < 1000; i++) if (recent.at(`dst_${(i + 1) % 7}`, id(i)) !== undefined) falseRepeats++
    assert.equal(falseRepeats, 0)
  })
})

