// How much heap a piece of code leaves reachable, for tests that hold the memory of a long-lived structure
// to a bound (what a remembered id keeps alive, what a buffer of reports holds).
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

let gc: (() => void) | undefined

/** MB of heap still in use after `build` ran and a full collection, against before it; what `build` returned is kept reachable meanwhile. */
export function retainedMb<T>(build: () => T): { mb: number; kept: T } {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc')
    gc = runInNewContext('gc') as () => void
  }
  gc()
  const before = process.memoryUsage().heapUsed
  const kept = build()
  gc()
  return { mb: (process.memoryUsage().heapUsed - before) / 1e6, kept }
}
