// What this worker delivered lately (destination + messageId → when), for repeats that arrive before the
// delivery records are written. It holds up to 500,000 deliveries by default, so it is built for size and
// for the garbage collector rather than with Maps:
//
// - Each delivery is a 64-bit fingerprint of (destination, messageId) and a time, in typed arrays: open
//   addressing, linear probing, at most half full. A Map of strings cost about 110 bytes per delivery
//   (55 MB at the default) and half a million live strings that every full collection marks; a lookup and
//   an insert in it took 1.2 to 1.5 µs at that size (random memory, rehashing as it grew). Here a delivery
//   costs 16 bytes of slot, and the collector sees four arrays.
// - Two fingerprints collide for different events with odds of about one in 2^63 per pair: at 500,000
//   deliveries held, a new event is taken for a repeat about once in 10^13 lookups. The hash is not meant
//   to resist a client that crafts collisions; such a client could only suppress its own source's events,
//   which it can do more simply by not sending them.
// - Bounded by generations rather than by evicting the oldest entry: when the current table has taken
//   half the capacity it becomes the previous one, and the one before is cleared for reuse.

/** One generation: an open-addressing table of fingerprints (hi, lo) and times. lo is never 0 in a used slot. */
class Generation {
  hi: Uint32Array
  lo: Uint32Array
  at: Float64Array
  size = 0

  constructor(slots: number) {
    this.hi = new Uint32Array(slots)
    this.lo = new Uint32Array(slots)
    this.at = new Float64Array(slots)
  }

  /** The slot holding the fingerprint, or the empty slot where it would go. */
  slotOf(hi: number, lo: number): number {
    const mask = this.lo.length - 1
    let slot = hi & mask
    while (this.lo[slot] !== 0 && (this.lo[slot] !== lo || this.hi[slot] !== hi)) slot = (slot + 1) & mask
    return slot
  }

  get(hi: number, lo: number): number | undefined {
    const slot = this.slotOf(hi, lo)
    return this.lo[slot] === 0 ? undefined : this.at[slot]
  }

  set(hi: number, lo: number, at: number): void {
    if ((this.size + 1) * 2 > this.lo.length) this.#grow()
    const slot = this.slotOf(hi, lo)
    if (this.lo[slot] === 0) {
      this.hi[slot] = hi
      this.lo[slot] = lo
      this.size++
    }
    this.at[slot] = at
  }

  clear(): void {
    this.lo.fill(0)
    this.size = 0
  }

  #grow(): void {
    const { hi, lo, at } = this
    this.hi = new Uint32Array(lo.length * 2)
    this.lo = new Uint32Array(lo.length * 2)
    this.at = new Float64Array(lo.length * 2)
    for (let i = 0; i < lo.length; i++) {
      if (lo[i] === 0) continue
      const slot = this.slotOf(hi[i]!, lo[i]!)
      this.hi[slot] = hi[i]!
      this.lo[slot] = lo[i]!
      this.at[slot] = at[i]!
    }
  }
}

/** murmur3's finalizer: spreads every input bit over the whole word. */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

const INITIAL_SLOTS = 1024

export class RecentDeliveries {
  readonly #generationSize: number
  #current = new Generation(INITIAL_SLOTS)
  #previous = new Generation(INITIAL_SLOTS)
  /** The two lanes' state after each destination's id: a job's hash starts from its destination's. */
  readonly #seeds = new Map<string, Int32Array>()
  /** The lanes of the fingerprint being computed, then the fingerprint (no array per call). */
  readonly #lanes = new Int32Array(2)
  #hi = 0
  #lo = 0

  /** Remembers between `capacity / 2` and `capacity` of the most recent deliveries. */
  constructor(capacity: number) {
    this.#generationSize = Math.max(1, Math.floor(capacity / 2))
  }

  /** When the event was delivered to the destination, if it is remembered. */
  at(destinationId: string, messageId: string): number | undefined {
    this.#fingerprint(destinationId, messageId)
    return this.#current.get(this.#hi, this.#lo) ?? this.#previous.get(this.#hi, this.#lo)
  }

  remember(destinationId: string, messageId: string, at: number): void {
    if (this.#current.size >= this.#generationSize) {
      const cleared = this.#previous
      cleared.clear()
      this.#previous = this.#current
      this.#current = cleared
    }
    this.#fingerprint(destinationId, messageId)
    this.#current.set(this.#hi, this.#lo, at)
  }

  get size(): number {
    return this.#current.size + this.#previous.size
  }

  /** Two 32-bit FNV-1a style lanes with different primes and seeds, each finished with murmur3's mixer. */
  #fingerprint(destinationId: string, messageId: string): void {
    const lanes = this.#lanes
    let seed = this.#seeds.get(destinationId)
    if (seed === undefined) {
      lanes[0] = 0x811c9dc5
      lanes[1] = 0x2545f491
      // A separator after the destination's id, so that ("ab", "c") and ("a", "bc") differ.
      hash(destinationId + '\u0000', lanes)
      this.#seeds.set(destinationId, (seed = lanes.slice()))
    }
    lanes.set(seed)
    hash(messageId, lanes)
    this.#hi = mix(lanes[0]! ^ messageId.length)
    this.#lo = (mix(lanes[1]!) | 1) >>> 0
  }
}

const FNV_PRIME = 0x01000193
const OTHER_PRIME = 0x5bd1e995

/** Runs both lanes over the text's UTF-16 units, from and into `lanes`. */
function hash(text: string, lanes: Int32Array): void {
  let a = lanes[0]!
  let b = lanes[1]!
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    a = Math.imul(a ^ c, FNV_PRIME)
    b = Math.imul(b ^ c, OTHER_PRIME)
  }
  lanes[0] = a
  lanes[1] = b
}
