// insertfn worker: a delivery process. It shares nothing with the server but the store (Postgres) and the
// queue (NATS JetStream): run as many as the load needs, on any machine, with the same settings.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { tallyOf } from '../pipeline/delivery-records.js'
import { openDelivery } from '../pipeline/delivery-service.js'
import { parseQueueUrl, QueueUrlError, redactQueueUrl } from '../queue/queue-from-url.js'
import { InvalidOptionsError } from '../runtime/index.js'
import { createMetrics, type Metrics } from '../server/metrics.js'
import { withConfigFile } from './config-file.js'
import { SERVICE_ENV, SERVICE_FLAGS, SERVICE_HELP, serviceOptions, wholeNumber } from './service-options.js'
import { stopSignal } from './stop-signal.js'
import { UsageError } from './usage-error.js'

export const WORKER_HELP = `Usage: insertfn worker --database-url <postgres://...> --queue-url <nats://...> [options]

Runs delivery: leases jobs from the queue, runs each destination's filters and insert function, delivers,
retries, and writes the delivery records. Any worker can deliver for any destination; a deploy reaches
every worker within a second. SIGTERM (or Ctrl-C) stops leasing and settles what is held.

Options (flag, then environment variable, then config file, then default):
${SERVICE_HELP}  --rounds <n>             INSERTFN_WORKER_ROUNDS  2   rounds of 100 jobs in flight at once
  --metrics-port <n>       INSERTFN_METRICS_PORT   (none)  serve Prometheus /metrics on this port
  --host <address>         INSERTFN_HOST        127.0.0.1  where /metrics listens

INSERTFN_SECRET_KEY must be the server's (base64 of 32 bytes).
`

const HINT = 'Run `insertfn worker --help` for usage.'

const WORKER_ENV = { ...SERVICE_ENV, rounds: 'INSERTFN_WORKER_ROUNDS', 'metrics-port': 'INSERTFN_METRICS_PORT', host: 'INSERTFN_HOST' }

export async function workerCommand(argv: string[], processEnv: NodeJS.ProcessEnv = process.env): Promise<number> {
  let values
  try {
    values = parseArgs({ args: argv, options: { ...SERVICE_FLAGS, rounds: { type: 'string' }, 'metrics-port': { type: 'string' }, host: { type: 'string' } } }).values
  } catch (err) {
    throw new UsageError((err as Error).message, HINT)
  }
  const env = withConfigFile(values.config ?? processEnv.INSERTFN_CONFIG, WORKER_ENV, processEnv, HINT)
  const service = serviceOptions(values, env, HINT, (p) => resolve(p))
  const rounds = wholeNumber(values.rounds ?? env.INSERTFN_WORKER_ROUNDS, '--rounds', HINT)
  const metricsPort = wholeNumber(values['metrics-port'] ?? env.INSERTFN_METRICS_PORT, '--metrics-port', HINT)
  if (service.queueUrl === undefined || service.databaseUrl === undefined) {
    throw new UsageError('a worker needs --database-url (Postgres) and --queue-url (NATS), the same as the server\'s', HINT)
  }
  try {
    if (parseQueueUrl(service.queueUrl).kind === 'sqlite') {
      throw new UsageError('a worker process cannot share the embedded SQLite queue (it has one writer, the server); use NATS JetStream, or `insertfn start --workers <n>` for more delivery threads', HINT)
    }
  } catch (err) {
    if (err instanceof QueueUrlError) throw new UsageError(err.message, HINT)
    throw err
  }
  if (!service.secretKey) throw new UsageError('set INSERTFN_SECRET_KEY to the server\'s key: settings are sealed with it', HINT)

  let delivery
  let metrics: Metrics | undefined
  try {
    delivery = await openDelivery({
      database: service.databaseUrl,
      queue: service.queueUrl,
      secretKey: service.secretKey,
      runtime: service.runtime,
      records: service.records,
      worker: { leaseMs: service.leaseMs, ...(rounds === undefined ? {} : { concurrentRounds: Math.max(1, rounds) }) },
    }, {
      onReport: (r) => metrics?.delivery(tallyOf(r)),
      onError: (err) => process.stderr.write(`insertfn worker: ${err instanceof Error ? err.message : String(err)}\n`),
    })
  } catch (err) {
    if (err instanceof InvalidOptionsError) throw new UsageError(err.message, HINT)
    throw err
  }
  let metricsServer: Server | undefined
  let metricsAt = ''
  if (metricsPort !== undefined) {
    const served = createMetrics(delivery.queue)
    metrics = served
    metricsServer = createServer((req, res) => {
      if (req.url !== '/metrics') return void res.writeHead(404).end('only /metrics here\n')
      void served.registry.metrics().then((text) => res.writeHead(200, { 'content-type': served.registry.contentType }).end(text))
    })
    const host = values.host ?? env.INSERTFN_HOST ?? '127.0.0.1'
    await new Promise<void>((ready, failed) => metricsServer!.once('error', failed).listen(metricsPort, host, ready))
    metricsAt = `, metrics at http://${host}:${(metricsServer.address() as AddressInfo).port}/metrics`
  }
  delivery.worker.start()
  // Listening for the stop signals before saying so: a supervisor may send one as soon as it reads the line.
  const stopped = stopSignal()
  process.stdout.write(`insertfn worker: delivering from ${redactQueueUrl(service.queueUrl)}, records in ${redactQueueUrl(service.databaseUrl)}${metricsAt}\n`)
  await stopped
  process.stdout.write('insertfn worker: stopping; settling the jobs it holds\n')
  await delivery.close()
  metricsServer?.close()
  return 0
}
