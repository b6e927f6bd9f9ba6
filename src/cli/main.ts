// insertfn's command line. Each command is a module with one job; this file only routes.
import { runCommand, RUN_HELP } from './run-command.js'
import { startCommand, START_HELP } from './start-command.js'
import { UsageError } from './usage-error.js'
import { workerCommand, WORKER_HELP } from './worker-command.js'

const HELP = `insertfn: Segment-style insert functions, self-hosted

Usage:
  insertfn start [options]                                    run the server (embedded SQLite by default)
  insertfn worker --database-url <url> --queue-url <url>      run delivery against Postgres and NATS
  insertfn run <function.js|.ts> --event <file|-> [options]   run one event, or a JSON array as a batch

Run \`insertfn <command> --help\` for a command's options.
`

/** Runs a command and returns the process exit code: 0 ran, 2 bad usage or code that does not load. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'run':
        if (rest.includes('--help') || rest.includes('-h')) {
          process.stdout.write(RUN_HELP)
          return 0
        }
        return await runCommand(rest)
      case 'start':
        if (rest.includes('--help') || rest.includes('-h')) {
          process.stdout.write(START_HELP)
          return 0
        }
        return await startCommand(rest)
      case 'worker':
        if (rest.includes('--help') || rest.includes('-h')) {
          process.stdout.write(WORKER_HELP)
          return 0
        }
        return await workerCommand(rest)
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write(HELP)
        return command === undefined ? 2 : 0
      default:
        throw new UsageError(`unknown command "${command}"`)
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`insertfn: ${err.message}\n${err.hint ?? 'Run `insertfn --help` for usage.'}\n`)
      return 2
    }
    throw err
  }
}
