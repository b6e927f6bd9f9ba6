// A local HTTP endpoint standing in for a customer's webhook: it keeps every JSON body it is sent.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface WebhookReceiver {
  url: string
  /** Every event received, in arrival order; batched deliveries (JSON arrays) are flattened. */
  events: Record<string, unknown>[]
  close(): Promise<void>
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const events: Record<string, unknown>[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      const parsed = JSON.parse(body) as Record<string, unknown> | Record<string, unknown>[]
      events.push(...(Array.isArray(parsed) ? parsed : [parsed]))
      res.writeHead(200).end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    events,
    close: () => new Promise((r) => server.close(() => r())),
  }
}
