// Names the calling OS thread, so that `top -H`, `ps -L`, perf and the benchmark's per-thread figures
// can tell insertfn's threads apart (Node names none of them). Linux lets a thread rename itself through
// /proc/thread-self/comm, up to 15 bytes; elsewhere, or when /proc is not there, this does nothing.
import { writeFileSync } from 'node:fs'

/** The names insertfn gives its threads. */
export const THREAD_NAMES = { queue: 'insertfn-queue', delivery: 'insertfn-deliv', checkpoints: 'insertfn-ckpt' } as const

export function nameThisThread(name: string): void {
  try {
    writeFileSync('/proc/thread-self/comm', name.slice(0, 15))
  } catch {
    // Not Linux, or no /proc: the name is only a convenience.
  }
}
