// insertfn worker: a delivery process. It shares nothing with the server but the store (Postgres) and the
// queue (NATS JetStream): run as many as the load needs, on any machine, with the same settings.
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { openDelivery } from '../pipeline/delivery-service.js'
import { parseQueueUrl, QueueUrlError, redactQueueUrl } from '../queue/queue-from-url.js'
import { InvalidOptionsError } from '../runtime/index.js'
import { SERVICE_FLAGS, SERVICE_HELP, serviceOptions, wholeNumber } from './service-options.js'
import { UsageError } from './usage-error.js'

export const WORKER_HELP = `Usage: insertfn worker --database-url <postgres://...> --queue-url <nats://...> [options]

Runs delivery: leases jobs from the queue, runs each destination's filters and insert function, delivers,
retries, and writes the delivery records. Any worker can deliver for any destination; a deploy reaches
every worker within a second. SIGTERM (or Ctrl-C) stops leasing and settles what is held.

Options (flag, then environment variable, then default):
${SERVICE_HELP}  --rounds <n>             INSERTFN_WORKER_ROUNDS  2   rounds of 100 jobs in flight at once

INSERTFN_SECRET_KEY must be the server's (base64 of 32 bytes).
`

const HINT = 'Run `insertfn worker --help` for usage.'

export async function workerCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let values
  try {
    values = parseArgs({ args: argv, options: { ...SERVICE_FLAGS, rounds: { type: 'string' } } }).values
  } catch (err) {
    throw new UsageError((err as Error).message, HINT)
  }
  const service = serviceOptions(values, env, HINT, (p) => resolve(p))
  const rounds = wholeNumber(values.rounds ?? env.INSERTFN_WORKER_ROUNDS, '--rounds', HINT)
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
  try {
    delivery = await openDelivery({
      database: service.databaseUrl,
      queue: service.queueUrl,
      secretKey: service.secretKey,
      runtime: service.runtime,
      worker: { leaseMs: service.leaseMs, ...(rounds === undefined ? {} : { concurrentRounds: Math.max(1, rounds) }) },
    }, {
      onError: (err) => process.stderr.write(`insertfn worker: ${err instanceof Error ? err.message : String(err)}\n`),
    })
  } catch (err) {
    if (err instanceof InvalidOptionsError) throw new UsageError(err.message, HINT)
    throw err
  }
  delivery.worker.start()
  process.stdout.write(`insertfn worker: delivering from ${redactQueueUrl(service.queueUrl)}, records in ${redactQueueUrl(service.databaseUrl)}\n`)
  await new Promise<void>((done) => {
    process.on('SIGINT', () => done())
    process.on('SIGTERM', () => done())
  })
  process.stdout.write('insertfn worker: stopping; settling the jobs it holds\n')
  await delivery.close()
  return 0
}
