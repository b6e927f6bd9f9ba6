// insertfn run: one event (or a batch) through the production sandbox, with the real network.
import { basename, extname } from 'node:path'
import { parseArgs } from 'node:util'
import { createRuntime, FunctionLoadError, InvalidOptionsError } from '../runtime/index.js'
import { loadErrorMessage, mapPositions } from '../toolkit/function-source.js'
import { readEvents, readFunctionCode, readSettings } from './read-input.js'
import { UsageError } from './usage-error.js'

export const RUN_HELP = `Usage: insertfn run <function.js|.ts> --event <file|-> [options]

Runs the function in the same sandbox as production and prints the result as JSON.
An --event file holding an array runs as a batch (onBatch, or each event through its handler).

Options:
  --event <file|->          the event JSON, or - for standard input (required)
  --settings <file>         the settings object JSON (default {})
  --kind insert|destination insert (default): the return value is the event to pass on
  --timeout <ms>            deadline per invocation (default 5000)
  --memory <mb>             isolate memory limit (default 128)
  --deny-private-network    refuse loopback and private addresses, as production does

Exit status: 0 when the function ran, whatever its outcome; 2 for bad usage or code that does not load.
`

const HINT = 'Run `insertfn run --help` for usage.'

function number(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} must be a positive whole number, not "${value}"`, HINT)
  return n
}

export async function runCommand(argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        event: { type: 'string' },
        settings: { type: 'string' },
        kind: { type: 'string', default: 'insert' },
        timeout: { type: 'string' },
        memory: { type: 'string' },
        'deny-private-network': { type: 'boolean', default: false },
      },
    })
  } catch (err) {
    throw new UsageError((err as Error).message, HINT)
  }
  const { values, positionals } = parsed
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'run needs a function file' : `run takes one function file, not ${positionals.length}`, HINT)
  if (values.event === undefined) throw new UsageError('run needs --event <file|->', HINT)
  if (values.kind !== 'insert' && values.kind !== 'destination') throw new UsageError(`--kind must be insert or destination, not "${values.kind}"`, HINT)
  const file = positionals[0]!
  const [source, input, settings] = await Promise.all([readFunctionCode(file), readEvents(values.event), readSettings(values.settings)])
  const name = basename(file, extname(file))

  let runtime
  try {
    runtime = createRuntime({
      allowPrivateNetwork: !values['deny-private-network'],
      ...(values.timeout === undefined ? {} : { timeoutMs: number(values.timeout, '--timeout') }),
      ...(values.memory === undefined ? {} : { memoryMb: number(values.memory, '--memory') }),
    })
  } catch (err) {
    if (err instanceof InvalidOptionsError) throw new UsageError(err.message, HINT)
    throw err
  }
  try {
    const fn = await runtime.load(source.code, { kind: values.kind, name })
    for (const line of fn.loadLogs) process.stderr.write(`[load ${line.level}] ${line.message}\n`)
    const result = Array.isArray(input) ? await fn.invokeBatch(input, settings) : await fn.invoke(input, settings)
    const output = JSON.stringify(result, null, 2)
    process.stdout.write(mapPositions(output, name, file, source) + '\n')
    return 0
  } catch (err) {
    if (err instanceof FunctionLoadError) {
      throw new UsageError(`${file} does not load: ${loadErrorMessage(err, source)}`, 'Fix the code and run again.')
    }
    throw err
  } finally {
    await runtime.close()
  }
}
