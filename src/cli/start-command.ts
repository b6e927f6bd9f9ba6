// insertfn start: the embedded default. One process, a SQLite file in the data directory, the management
// API under /api. Options come from flags, then the environment, then defaults.
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { InvalidOptionsError } from '../runtime/index.js'
import { openEmbedded } from './embedded.js'
import { UsageError } from './usage-error.js'

export const START_HELP = `Usage: insertfn start [options]

Runs insertfn in one process on an embedded SQLite file.

Options (flag, then environment variable, then default):
  --port <n>               INSERTFN_PORT        4000
  --host <address>         INSERTFN_HOST        127.0.0.1 (0.0.0.0 to listen on every interface)
  --data-dir <dir>         INSERTFN_DATA_DIR    ./data
  --timeout <ms>           INSERTFN_TIMEOUT_MS  5000   deadline per function invocation
  --memory <mb>            INSERTFN_MEMORY_MB   128    memory limit per function isolate
  --allow-private-network  INSERTFN_ALLOW_PRIVATE_NETWORK=1   let functions reach private addresses
  --lease <ms>             INSERTFN_LEASE_MS    60000  how long a worker holds a job; after a crash, its
                                                       jobs run again once their lease ends
  --max-queue-depth <n>    INSERTFN_MAX_QUEUE_DEPTH 1000000  waiting deliveries beyond which /v1 answers
                                                       429 with Retry-After

Secret settings are sealed with INSERTFN_SECRET_KEY (base64 of 32 bytes) or, without it, a key file
created in the data directory on first start (secret.key, mode 0600): keep it with the database.

On the first start an owner token is created: INSERTFN_ADMIN_TOKEN if set, otherwise a new one that is
printed once. Send it as "Authorization: Bearer <token>".
`

const HINT = 'Run `insertfn start --help` for usage.'

function positive(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name} must be a whole number, not "${value}"`, HINT)
  return n
}

export async function startCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let values
  try {
    values = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
        timeout: { type: 'string' },
        memory: { type: 'string' },
        'allow-private-network': { type: 'boolean' },
        lease: { type: 'string' },
        'max-queue-depth': { type: 'string' },
      },
    }).values
  } catch (err) {
    throw new UsageError((err as Error).message, HINT)
  }
  const port = positive(values.port ?? env.INSERTFN_PORT, '--port') ?? 4000
  const host = values.host ?? env.INSERTFN_HOST ?? '127.0.0.1'
  const dataDir = resolve(values['data-dir'] ?? env.INSERTFN_DATA_DIR ?? './data')
  const timeoutMs = positive(values.timeout ?? env.INSERTFN_TIMEOUT_MS, '--timeout')
  const memoryMb = positive(values.memory ?? env.INSERTFN_MEMORY_MB, '--memory')
  const allowPrivateNetwork = values['allow-private-network'] ?? env.INSERTFN_ALLOW_PRIVATE_NETWORK === '1'
  const leaseMs = positive(values.lease ?? env.INSERTFN_LEASE_MS, '--lease') ?? 60_000
  const maxQueueDepth = positive(values['max-queue-depth'] ?? env.INSERTFN_MAX_QUEUE_DEPTH, '--max-queue-depth')

  let embedded
  try {
    embedded = await openEmbedded({
      dataDir,
      runtime: { allowPrivateNetwork, ...(timeoutMs === undefined ? {} : { timeoutMs }), ...(memoryMb === undefined ? {} : { memoryMb }) },
      leaseMs,
      ...(maxQueueDepth === undefined ? {} : { maxQueueDepth }),
      ...(env.INSERTFN_SECRET_KEY ? { secretKey: env.INSERTFN_SECRET_KEY } : {}),
      logger: { level: env.INSERTFN_LOG_LEVEL ?? 'info' },
    })
  } catch (err) {
    if (err instanceof InvalidOptionsError) throw new UsageError(err.message, HINT)
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
  // The embedded default delivers in the same process; scale-out runs workers apart (issue 6).
  await embedded.startDelivery()
  process.stdout.write(`insertfn: listening on ${address} (tracking API at ${address}/v1, management API at ${address}/api), data in ${dataDir}\n`)

  // A terminal's Ctrl-C reaches this process twice (from the terminal and from the bin wrapper): the
  // first signal starts a clean stop, the rest are ignored rather than killing it half-way.
  await new Promise<void>((done) => {
    process.on('SIGINT', () => done())
    process.on('SIGTERM', () => done())
  })
  process.stdout.write('insertfn: shutting down\n')
  // Stop taking events first, then let the worker settle what it holds; what it leaves is leased again on restart.
  await embedded.close()
  return 0
}
