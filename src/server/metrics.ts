// Prometheus metrics at /metrics: events in, delivery outcomes per destination, function durations,
// queue depth. One registry per server, so tests and several servers in one process do not mix.
import client from 'prom-client'
import type { JobQueue } from '../queue/queue.js'
import type { DeliveryTally } from '../pipeline/delivery-records.js'

export function createMetrics(queue: JobQueue) {
  const registry = new client.Registry()
  client.collectDefaultMetrics({ register: registry, prefix: 'insertfn_' })
  const received = new client.Counter({ name: 'insertfn_events_received_total', help: 'Events accepted by the tracking API', labelNames: ['source'], registers: [registry] })
  const rejected = new client.Counter({ name: 'insertfn_events_rejected_total', help: 'Events refused for their content (still answered 200, like Segment)', labelNames: ['source', 'field'], registers: [registry] })
  const deliveries = new client.Counter({ name: 'insertfn_deliveries_total', help: 'Settled delivery attempts by outcome', labelNames: ['destination', 'status', 'detail'], registers: [registry] })
  const functionSeconds = new client.Histogram({
    name: 'insertfn_function_duration_seconds',
    help: 'Time in insert and destination functions per event',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  })
  new client.Gauge({
    name: 'insertfn_queue_depth',
    help: 'Deliveries waiting or in progress',
    registers: [registry],
    async collect() {
      this.set(await queue.depth())
    },
  })
  return {
    registry,
    received: (source: string, n: number) => received.inc({ source }, n),
    rejected: (source: string, field: string) => rejected.inc({ source, field }),
    delivery(t: DeliveryTally): void {
      deliveries.inc({ destination: t.destinationId, status: t.status, detail: t.detail }, t.count)
      for (const ms of t.functionMs) functionSeconds.observe(ms / 1000)
    },
  }
}

export type Metrics = ReturnType<typeof createMetrics>
