// insertfn logs: a destination's delivery records in the terminal, oldest first; with --follow, new ones
// as they are written, until interrupted.
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { z } from 'zod'
import { ApiClient, SERVER_HELP, SERVER_OPTIONS, serverTarget } from './api-client.js'
import { CommandError } from './command-error.js'
import { UsageError } from './usage-error.js'

export const LOGS_HELP = `Usage: insertfn logs <destination id> [options]

Prints the destination's most recent delivery records, oldest first: when, the outcome (delivered,
filtered, retrying, failed) and why, the event, and what the insert function logged and fetched.

Options:
  --follow                  keep printing new records as they arrive (stop with Ctrl-C)
  --status <status>         only delivered, filtered, retrying or failed records
  --count <n>               how many recent records to print first (default 20, at most 1000)
  --interval <ms>           how often --follow asks for new records (default 1000)
  --json                    one JSON record per line
${SERVER_HELP}

Exit status: 0 printed (or --follow was stopped); 1 the server refused or could not be reached;
2 bad usage.
`

const HINT = 'Run `insertfn logs --help` for usage.'
const STATUSES = ['delivered', 'filtered', 'retrying', 'failed']

const DeliveryRecord = z.object({
  id: z.string(),
  messageId: z.string(),
  status: z.string(),
  detail: z.string(),
  reason: z.string().nullable(),
  attempt: z.number(),
  at: z.string(),
  event: z.unknown(),
  trace: z
    .object({
      logs: z.array(z.object({ level: z.string(), message: z.string() })).default([]),
      requests: z.array(z.object({ method: z.string(), url: z.string(), status: z.number().optional(), error: z.string().optional(), durationMs: z.number() })).default([]),
    })
    .nullable(),
})
type DeliveryRecord = z.infer<typeof DeliveryRecord>
const EventsData = z.object({ events: z.array(DeliveryRecord) })

function positive(value: string | undefined, flag: string, fallback: number, max: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`${flag} must be a whole number from 1 to ${max}, not "${value}"`, HINT)
  return n
}

/** "track Order Completed (user u1)": what the event was, in a few words. */
function describeEvent(event: unknown): string {
  if (typeof event !== 'object' || event === null) return '(event not kept)'
  const e = event as Record<string, unknown>
  const name = e.type === 'track' ? e.event : e.type === 'page' || e.type === 'screen' ? e.name : undefined
  const who = e.userId ?? e.anonymousId
  return [String(e.type ?? '?'), typeof name === 'string' ? JSON.stringify(name) : '', typeof who === 'string' ? `(user ${who})` : ''].filter(Boolean).join(' ')
}

export function formatRecord(r: DeliveryRecord): string {
  const outcome = `${r.status}${r.detail === '' ? '' : ` (${r.detail})`}`
  const lines = [`${r.at}  ${outcome.padEnd(22)}  ${describeEvent(r.event)}  messageId=${r.messageId}${r.attempt > 1 ? `  attempt ${r.attempt}` : ''}`]
  if (r.reason !== null && r.reason !== '') lines.push(`    reason: ${r.reason}`)
  for (const l of r.trace?.logs ?? []) lines.push(`    ${l.level}: ${l.message}`)
  for (const q of r.trace?.requests ?? []) lines.push(`    ${q.method} ${q.url} -> ${q.status ?? q.error ?? '?'} (${Math.round(q.durationMs)} ms)`)
  return lines.join('\n')
}

export async function logsCommand(argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { ...SERVER_OPTIONS, follow: { type: 'boolean', default: false }, status: { type: 'string' }, count: { type: 'string' }, interval: { type: 'string' }, json: { type: 'boolean', default: false } },
    })
  } catch (err) {
    throw new UsageError((err as Error).message, HINT)
  }
  const { values, positionals } = parsed
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'logs needs a destination id' : `logs takes one destination id, not ${positionals.length}`, HINT)
  if (values.status !== undefined && !STATUSES.includes(values.status)) throw new UsageError(`--status must be one of ${STATUSES.join(', ')}, not "${values.status}"`, HINT)
  const count = positive(values.count, '--count', 20, 1000)
  const intervalMs = positive(values.interval, '--interval', 1000, 3_600_000)
  const api = new ApiClient(serverTarget(values, HINT))
  const path = `/destinations/${encodeURIComponent(positionals[0]!)}/events?${values.status === undefined ? '' : `status=${values.status}&`}pagination%5Bcount%5D=`

  const print = (r: DeliveryRecord) => process.stdout.write((values.json ? JSON.stringify(r) : formatRecord(r)) + '\n')
  const fetchRecent = async (n: number) => {
    const { events } = await api.request('GET', path + n, EventsData)
    return events.reverse()
  }

  // Records are listed newest first with no cursor, so following means asking for the latest page and
  // printing those not seen yet. The first page marks everything recent as seen, so that an older record
  // just outside --count is not printed later, out of order. Polls ask for a small page, and for a large
  // one only when everything in the small one is new (a burst).
  const seen = new Set<string>()
  const first = await fetchRecent(values.follow ? 1000 : count)
  for (const r of first) seen.add(r.id)
  for (const r of first.slice(-count)) print(r)
  if (!values.follow) return 0
  const fetchUnseen = async () => {
    let page = await fetchRecent(50)
    if (page.every((r) => !seen.has(r.id)) && page.length === 50) page = await fetchRecent(1000)
    return page.filter((r) => !seen.has(r.id))
  }

  const stop = new AbortController()
  const onSignal = () => stop.abort()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  let failing = false
  try {
    while (!stop.signal.aborted) {
      await sleep(intervalMs, undefined, { signal: stop.signal }).catch(() => undefined)
      if (stop.signal.aborted) break
      try {
        for (const r of await fetchUnseen()) {
          seen.add(r.id)
          print(r)
        }
        failing = false
      } catch (err) {
        // A restart of the server should not end a follow; say so once and keep asking.
        if (!(err instanceof CommandError)) throw err
        if (!failing) process.stderr.write(`insertfn logs: ${err.message}; retrying\n`)
        failing = true
      }
      if (seen.size > 50_000) for (const id of [...seen].slice(0, 25_000)) seen.delete(id)
    }
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  return 0
}

