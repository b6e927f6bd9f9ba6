// insertfn start: the embedded default. One process, a SQLite file in the data directory, the management
// API under /api. Options come from flags, then the environment, then a config file, then defaults.
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { InvalidOptionsError } from '../runtime/index.js'
import { QueueUrlError, redactQueueUrl as redactUrl } from '../queue/queue-from-url.js'
import { openEmbedded } from './embedded.js'
import { withConfigFile } from './config-file.js'
import { SERVICE_ENV, SERVICE_FLAGS, SERVICE_HELP, serviceOptions, wholeNumber } from './service-options.js'
import { stopSignal } from './stop-signal.js'
import { UsageError } from './usage-error.js'

export const START_HELP = `Usage: insertfn start [options]

Runs the insertfn server: the tracking API (/v1), the management API (/api) and /metrics. By default on
embedded SQLite files in the data directory, delivering from a thread of the same process. With
--database-url and --queue-url it runs against Postgres and NATS JetStream, and \`insertfn worker\`
processes deliver (see the README's deployment guide).

Options (flag, then environment variable, then config file, then default):
  --port <n>               INSERTFN_PORT        4000
  --host <address>         INSERTFN_HOST        127.0.0.1 (0.0.0.0 to listen on every interface)
${SERVICE_HELP}  --workers <n>            INSERTFN_WORKERS     delivery threads in this process: 1 on the embedded
                                                 queue, 0 on JetStream (workers deliver)
  --max-queue-depth <n>    INSERTFN_MAX_QUEUE_DEPTH 1000000  waiting deliveries beyond which /v1 answers
                                                       429 with Retry-After

Secret settings are sealed with INSERTFN_SECRET_KEY (base64 of 32 bytes) or, without it, a key file
created in the data directory on first start (secret.key, mode 0600): keep it with the database. With
--database-url, INSERTFN_SECRET_KEY is required, the same for the server and every worker.

On the first start an owner token is created: INSERTFN_ADMIN_TOKEN if set, otherwise a new one that is
printed once. Send it as "Authorization: Bearer <token>".
`

const HINT = 'Run `insertfn start --help` for usage.'

const START_ENV = { ...SERVICE_ENV, port: 'INSERTFN_PORT', host: 'INSERTFN_HOST', workers: 'INSERTFN_WORKERS', 'max-queue-depth': 'INSERTFN_MAX_QUEUE_DEPTH' }

export async function startCommand(argv: string[], processEnv: NodeJS.ProcessEnv = process.env): Promise<number> {
  let values
  try {
    values = parseArgs({
      args: argv,
      options: {
        ...SERVICE_FLAGS,
        port: { type: 'string' },
        host: { type: 'string' },
        workers: { type: 'string' },
        'max-queue-depth': { type: 'string' },
      },
    }).values
  } catch (err) {
    throw new UsageError((err as Error).message, HINT)
  }
  const env = withConfigFile(values.config ?? processEnv.INSERTFN_CONFIG, START_ENV, processEnv, HINT)
  const port = wholeNumber(values.port ?? env.INSERTFN_PORT, '--port', HINT) ?? 4000
  const host = values.host ?? env.INSERTFN_HOST ?? '127.0.0.1'
  const service = serviceOptions(values, env, HINT, (p) => resolve(p))
  const workers = wholeNumber(values.workers ?? env.INSERTFN_WORKERS, '--workers', HINT)
  const maxQueueDepth = wholeNumber(values['max-queue-depth'] ?? env.INSERTFN_MAX_QUEUE_DEPTH, '--max-queue-depth', HINT)
  const dataDir = service.dataDir

  let embedded
  try {
    embedded = await openEmbedded({
      ...service,
      ...(workers === undefined ? {} : { workers }),
      ...(maxQueueDepth === undefined ? {} : { maxQueueDepth }),
      logger: { level: env.INSERTFN_LOG_LEVEL ?? 'info' },
    })
  } catch (err) {
    if (err instanceof InvalidOptionsError || err instanceof QueueUrlError || (err instanceof Error && /^(with --database-url|database URL)/.test(err.message))) throw new UsageError(err.message, HINT)
    throw err
  }
  if ((await embedded.tokens.count()) === 0) {
    const given = env.INSERTFN_ADMIN_TOKEN
    const { token } = await embedded.tokens.create('owner', ['Workspace Owner'], ...(given ? [given] : []))
    if (!given) process.stdout.write(`insertfn: created the owner token (shown only this once): ${token}\n`)
  }
  let address: string
  try {
    address = await embedded.app.listen({ port, host })
  } catch (err) {
    await embedded.close()
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new UsageError(`port ${port} on ${host} is already in use: stop what uses it, or choose another with --port`, HINT)
    throw err
  }
  await embedded.startDelivery()
  const where = service.databaseUrl === undefined ? `data in ${dataDir}` : `store ${redactUrl(service.databaseUrl)}, queue ${redactUrl(service.queueUrl ?? `${dataDir}/queue.db`)}`
  // Listening for the stop signals before saying so: a supervisor may send one as soon as it reads the line.
  const stopped = stopSignal()
  process.stdout.write(`insertfn: listening on ${address} (tracking API at ${address}/v1, management API at ${address}/api), ${where}, ${embedded.workers} delivery thread(s)\n`)
  await stopped
  process.stdout.write('insertfn: shutting down\n')
  // Stop taking events first, then let the worker settle what it holds; what it leaves is leased again on restart.
  await embedded.close()
  return 0
}
