// What ingestion needs for a write key: its source and the source's enabled destinations. Read from the
// store for every request, that was three or four queries per request: little against a batch of 100
// events on SQLite, but a Postgres round trip each when scaled out, and most of the work of a request
// that carries one event (analytics.js sends one per request). So it is kept for a second, as the
// workers keep a destination's setup; a change made through this process's store is seen at once, one
// made through another API process within the second.
import type { ConnectionStore, DestinationRecord, SourceRecord } from '../store/connection-store.js'

export interface Routing {
  source: SourceRecord
  /** The source's enabled destinations. */
  destinations: DestinationRecord[]
}

/** Write keys remembered at most: a key is only remembered once it is known, so this bounds a busy fleet's, not an attacker's. */
const MAX_KEYS = 10_000

export class IngestRouting {
  readonly #connections: ConnectionStore
  readonly #ttlMs: number
  readonly #now: () => number
  #known = new Map<string, { at: number; routing: Promise<Routing | undefined> }>()

  constructor(connections: ConnectionStore, options: { ttlMs?: number; now?: () => number } = {}) {
    this.#connections = connections
    this.#ttlMs = options.ttlMs ?? 1000
    this.#now = options.now ?? (() => performance.now())
    connections.onChange(() => this.clear())
  }

  /** The source of a write key and where its events go; undefined for a key no source has. */
  forWriteKey(writeKey: string): Promise<Routing | undefined> {
    const now = this.#now()
    const kept = this.#known.get(writeKey)
    if (kept !== undefined && now - kept.at < this.#ttlMs) return kept.routing
    const routing = this.#read(writeKey)
    if (this.#known.size >= MAX_KEYS) this.#known = new Map()
    this.#known.set(writeKey, { at: now, routing })
    // Unknown keys and failed reads are not kept: the next request asks the store again.
    const forget = () => this.#known.get(writeKey)?.routing === routing && this.#known.delete(writeKey)
    routing.then((r) => r === undefined && forget(), forget)
    return routing
  }

  clear(): void {
    this.#known.clear()
  }

  async #read(writeKey: string): Promise<Routing | undefined> {
    const source = await this.#connections.sourceForWriteKey(writeKey)
    if (source === undefined) return undefined
    return { source, destinations: (await this.#connections.listDestinations(source.id)).filter((d) => d.enabled) }
  }
}
