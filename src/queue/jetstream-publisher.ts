// Publishing to JetStream with its acknowledgements, many messages at once. The client's own publish
// is a request per message: an inbox, a timer and two pre-built errors each, and it awaits before
// writing, so a batch leaves in many small socket writes. Here every message of a batch is written in
// the same tick (one write), the stream's answers come back on one wildcard subscription, and one timer
// bounds the whole batch.
import { createInbox, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node'

export interface Publication {
  subject: string
  payload: string | Uint8Array
  headers: MsgHdrs
}

export interface Stored {
  /** The stream had a message with the same Nats-Msg-Id within its dedupe window, and kept that one. */
  duplicate: boolean
}

interface Waiting {
  resolve: (s: Stored) => void
  reject: (err: Error) => void
}

const decoder = new TextDecoder()

export class JetStreamPublisher {
  readonly #nc: NatsConnection
  readonly #prefix = createInbox()
  readonly #waiting = new Map<string, Waiting>()
  readonly #sub: Subscription
  #next = 0

  constructor(nc: NatsConnection) {
    this.#nc = nc
    this.#sub = nc.subscribe(`${this.#prefix}.*`, {
      callback: (err, msg) => {
        if (err) return this.#failAll(err)
        const token = msg.subject.slice(this.#prefix.length + 1)
        const waiting = this.#waiting.get(token)
        if (waiting === undefined) return // answered after its batch timed out
        this.#waiting.delete(token)
        if (msg.headers?.code === 503) return waiting.reject(new Error('no stream takes this subject (503 no responders)'))
        try {
          const answer = JSON.parse(decoder.decode(msg.data)) as { error?: { code?: number; err_code?: number; description?: string }; duplicate?: boolean }
          if (answer.error) waiting.reject(new Error(`the stream refused the message: ${answer.error.description ?? 'no reason given'} (${answer.error.err_code ?? answer.error.code})`))
          else waiting.resolve({ duplicate: answer.duplicate === true })
        } catch {
          waiting.reject(new Error(`the stream answered something that is not a publish acknowledgement: ${decoder.decode(msg.data).slice(0, 200)}`))
        }
      },
    })
  }

  /** Publishes them all at once; each settles with the stream's answer, or fails after `timeoutMs`. */
  async publishAll(publications: Publication[], timeoutMs: number): Promise<PromiseSettledResult<Stored>[]> {
    const tokens: string[] = []
    const answers = publications.map((p) => {
      const token = (this.#next++).toString(36)
      tokens.push(token)
      return new Promise<Stored>((resolve, reject) => {
        this.#waiting.set(token, { resolve, reject })
        try {
          this.#nc.publish(p.subject, p.payload, { headers: p.headers, reply: `${this.#prefix}.${token}` })
        } catch (err) {
          this.#waiting.delete(token)
          reject(err as Error)
        }
      })
    })
    const timer = setTimeout(() => {
      for (const token of tokens) {
        const waiting = this.#waiting.get(token)
        this.#waiting.delete(token)
        waiting?.reject(new Error(`JetStream did not acknowledge the message within ${timeoutMs} ms`))
      }
    }, timeoutMs)
    try {
      return await Promise.allSettled(answers)
    } finally {
      clearTimeout(timer)
    }
  }

  #failAll(err: Error): void {
    for (const waiting of this.#waiting.values()) waiting.reject(err)
    this.#waiting.clear()
  }

  close(): void {
    this.#sub.unsubscribe()
    this.#failAll(new Error('the queue was closed before JetStream acknowledged the message'))
  }
}
