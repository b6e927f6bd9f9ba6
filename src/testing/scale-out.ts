// A scaled-out insertfn of its own for a test or a benchmark: a fresh Postgres schema and JetStream stream
// names on the local servers, the settings every process of it shares, and the removal of both afterwards.
import { randomBytes } from 'node:crypto'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import pg from 'pg'

const POSTGRES = 'postgres://postgres@127.0.0.1:5432/test'
const NATS = '127.0.0.1:4222'

export interface ScaleOut {
  /** Environment for `insertfn start` and `insertfn worker`: store, queue, secret key, lease. */
  env: Record<string, string>
  /** Drops the schema and deletes the streams. */
  cleanup(): Promise<void>
}

export function scaleOut(prefix: string, leaseMs = 3000): ScaleOut {
  const id = `${prefix}_${randomBytes(4).toString('hex')}`
  return {
    env: {
      INSERTFN_DATABASE_URL: `${POSTGRES}?schema=${id}`,
      INSERTFN_QUEUE_URL: `nats://${NATS}?name=${id}`,
      INSERTFN_SECRET_KEY: randomBytes(32).toString('base64'),
      // The same for every process: the JetStream consumer takes its ack wait from whichever creates it.
      INSERTFN_LEASE_MS: String(leaseMs),
    },
    async cleanup() {
      const db = new pg.Client({ connectionString: POSTGRES })
      await db.connect()
      await db.query(`DROP SCHEMA IF EXISTS ${id} CASCADE`)
      await db.end()
      const nc = await connect({ servers: NATS })
      const jsm = await jetstreamManager(nc)
      for (const stream of [`${id}_jobs`, `${id}_failed`]) await jsm.streams.delete(stream).catch(() => undefined)
      await nc.close()
    },
  }
}
