// Randomized exponential backoff with full jitter: attempt n waits a random time in [0, min(cap, base·2^(n-1))).
// Randomness and time come in from outside, so tests can pin them.

export interface BackoffOptions {
  /** @defaultValue 1000 */
  baseMs: number
  /** @defaultValue 600000 (10 minutes) */
  capMs: number
  random: () => number
}

export function createBackoff(options: Partial<BackoffOptions> = {}): (attempt: number) => number {
  const { baseMs = 1000, capMs = 600_000, random = Math.random } = options
  return (attempt) => Math.floor(random() * Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1)))
}

/** Retry-After as seconds or an HTTP date, in ms from now; undefined when absent or unreadable. */
export function retryAfterMs(header: string | string[] | undefined, now: number): number | undefined {
  const value = Array.isArray(header) ? header[0] : header
  if (value === undefined || value === '') return undefined
  if (/^\d+$/.test(value.trim())) return Number(value) * 1000
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}
