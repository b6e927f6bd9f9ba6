// The invocations a loaded function has in flight, by id, so that the sandbox's calls to the host find
// theirs.
//
// Each run of events (invokeText) is one record, with a slot per event that is emptied when the event
// settles; an invocation made alone (invoke, invokeBatch) is a run of one. Not one Map entry per event: a
// Map that lives long is rehashed as entries come and go, and the table it leaves behind keeps every entry
// it held at that moment reachable until the next full collection. Each rehash dragged a run's
// invocations, with their results and answer texts, into the old generation, about 1 KB per event on the
// function path (docs/runtime.md has the figures). Emptying a slot cuts that link, whichever stale copy of
// the list of runs still points at the record.
interface RunRecord<T> {
  readonly base: number
  readonly slots: (T | undefined)[]
  left: number
}

export class InvocationTable<T extends { readonly id: number }> {
  /**
   * Runs with events not settled yet, in the order of their ids (ids only grow): a handful at a time, or
   * one per event still waiting on I/O when a function awaits requests.
   */
  readonly #runs: RunRecord<T>[] = []

  /** A run's invocations, whose ids are base, base + 1, ... in order. */
  addRun(items: T[]): void {
    if (items.length === 0) return
    const base = items[0]!.id
    if (items.some((item, i) => item.id !== base + i)) throw new Error('a run must hold invocations with consecutive ids')
    const last = this.#runs[this.#runs.length - 1]
    if (last !== undefined && base < last.base + last.slots.length) throw new Error('a run must come after the runs before it (ids only grow)')
    this.#runs.push({ base, slots: [...items], left: items.length })
  }

  get(id: number): T | undefined {
    const run = this.#runs[this.#indexOf(id)]
    return run?.slots[id - run.base]
  }

  delete(id: number): void {
    const index = this.#indexOf(id)
    const run = this.#runs[index]
    if (run === undefined || run.slots[id - run.base] === undefined) return
    run.slots[id - run.base] = undefined
    if (--run.left === 0) this.#runs.splice(index, 1)
  }

  /** Every invocation in flight, in no particular order (a copy: deleting while iterating is safe). */
  values(): T[] {
    const out: T[] = []
    for (const run of this.#runs) for (const item of run.slots) if (item !== undefined) out.push(item)
    return out
  }

  /** The index of the run that holds id, or -1: a binary search, since runs are kept in id order. */
  #indexOf(id: number): number {
    let low = 0
    let high = this.#runs.length - 1
    while (low <= high) {
      const mid = (low + high) >>> 1
      const run = this.#runs[mid]!
      if (id < run.base) high = mid - 1
      else if (id >= run.base + run.slots.length) low = mid + 1
      else return mid
    }
    return -1
  }
}
