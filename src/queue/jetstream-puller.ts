// Pull requests to JetStream consumers. A pull asks with no_wait: the server sends what the consumer has,
// up to the batch, and ends with a status when that is fewer, so a pull never waits for a batch to fill.
// A waiting pull (waitMs) asks the server to hold the request until a message comes or the time is up.
// Each pull has its own inbox subscription: the messages arrive under their stream subjects, so the
// subscription is the only thing that tells which pull they answer.
import { createInbox, type Msg, type NatsConnection } from '@nats-io/transport-node'

/**
 * A server answers a no_wait pull at once. One that does not lost the pull (it was sent while the
 * connection was coming back, or JetStream was still starting): the lease comes back empty and the
 * worker asks again, rather than wait long.
 */
const PULL_TIMEOUT_MS = 3_000

/** Up to `max` messages the consumer has now; with waitMs, the server waits that long for the batch to fill. */
export function pull(nc: NatsConnection, stream: string, consumer: string, max: number, waitMs = 0): Promise<Msg[]> {
  return new Promise((resolve, reject) => {
    const out: Msg[] = []
    const inbox = createInbox()
    let timer: NodeJS.Timeout | undefined
    const finish = (err?: Error) => {
      clearTimeout(timer)
      sub.unsubscribe()
      if (err === undefined) return resolve(out)
      // Delivered before the failure: give them back now rather than after the ack wait.
      for (const msg of out) if (msg.reply && !nc.isClosed()) nc.publish(msg.reply, '-NAK')
      reject(new Error(`pulling from ${stream} > ${consumer}: ${err.message}`, { cause: err }))
    }
    const sub = nc.subscribe(inbox, {
      callback: (err, msg) => {
        if (err) return finish(err)
        const code = msg.headers?.code ?? 0
        if (code === 404 || code === 408) return finish()
        if (code !== 0) return finish(new Error(`JetStream refused the pull: ${code} ${msg.headers?.description ?? ''}`.trim()))
        out.push(msg)
        if (out.length >= max) finish()
      },
    })
    timer = setTimeout(() => finish(), waitMs + PULL_TIMEOUT_MS)
    const request = waitMs > 0 ? { batch: max, expires: waitMs * 1_000_000 } : { batch: max, no_wait: true }
    nc.publish(`$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`, JSON.stringify(request), { reply: inbox })
  })
}
