import assert from 'node:assert/strict'
import { it } from 'node:test'
import { createBackoff, retryAfterMs } from './backoff.js'

it('delays grow with the attempt and are spread at random over the whole range (full jitter), up to the cap', () => {
  const backoff = createBackoff({ baseMs: 1000, capMs: 8000 })
  const samples = (attempt: number) => Array.from({ length: 2000 }, () => backoff(attempt))
  const means = [1, 2, 3, 4, 5, 6].map((a) => samples(a).reduce((n, d) => n + d, 0) / 2000)
  // Expected means: 500, 1000, 2000, 4000, then the cap's 4000.
  for (let i = 1; i < 4; i++) assert.ok(means[i]! > means[i - 1]! * 1.6, `mean delay of attempt ${i + 1} (${means[i]}) should be about twice attempt ${i}'s (${means[i - 1]})`)
  assert.ok(Math.abs(means[5]! - 4000) < 400, `capped attempts average half the cap, not ${means[5]}`)
  const third = samples(3)
  assert.ok(third.every((d) => d >= 0 && d < 4000))
  assert.ok(new Set(third).size > 1000, 'jittered: the delays differ')
  assert.ok(Math.min(...third) < 400 && Math.max(...third) > 3600, 'jitter spans the whole range')
})

it('reads Retry-After as seconds or as an HTTP date', () => {
  const now = Date.parse('2026-11-27T10:00:00Z')
  assert.equal(retryAfterMs('30', now), 30_000)
  assert.equal(retryAfterMs('Fri, 27 Nov 2026 10:01:00 GMT', now), 60_000)
  assert.equal(retryAfterMs('soon', now), undefined)
  assert.equal(retryAfterMs(undefined, now), undefined)
})
