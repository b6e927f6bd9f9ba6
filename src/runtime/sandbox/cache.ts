// Segment's `cache` global: cache.load(key, ttlMs, fn) memoizes fn's result per loaded function.
// Concurrent loads of one key share one call; a rejected load is not kept; ttl -1 or omitted never expires.
const MAX_ENTRIES = 1000

interface Entry {
  value: Promise<unknown>
  expiresAt: number
}

const entries = new Map<string, Entry>()

function load(key: unknown, ttlMs: unknown, fn: unknown): Promise<unknown> {
  if (typeof key !== 'string') return Promise.reject(new TypeError('cache.load(key, ttlMs, fn): key must be a string'))
  if (typeof fn !== 'function') return Promise.reject(new TypeError('cache.load(key, ttlMs, fn): fn must be a function'))
  const ttl = ttlMs === undefined || ttlMs === null ? -1 : Number(ttlMs)
  if (Number.isNaN(ttl)) return Promise.reject(new TypeError('cache.load(key, ttlMs, fn): ttlMs must be a number of milliseconds, or -1'))
  const now = Date.now()
  const hit = entries.get(key)
  if (hit !== undefined && hit.expiresAt > now) return hit.value
  const value = Promise.resolve().then(() => (fn as () => unknown)())
  const entry: Entry = { value, expiresAt: ttl < 0 ? Infinity : now + ttl }
  entries.delete(key)
  entries.set(key, entry)
  if (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value as string)
  value.catch(() => {
    if (entries.get(key) === entry) entries.delete(key)
  })
  return value
}

function remove(key: unknown): void {
  entries.delete(String(key))
}

export const sandboxCache = Object.freeze({ load, delete: remove })
