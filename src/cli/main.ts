// insertfn's command line. Each command is a module with one job; this file only routes.
import { CommandError } from './command-error.js'
import { UsageError } from './usage-error.js'

const HELP = `insertfn: Segment-style insert functions, self-hosted

Usage:
  insertfn start [options]                                    run the server (embedded SQLite by default)
  insertfn worker --database-url <url> --queue-url <url>      run delivery against Postgres and NATS
  insertfn run <function.js|.ts> --event <file|-> [options]   run one event, or a JSON array as a batch
  insertfn init <dir> [--lang ts|js]                          create a function project with passing tests
  insertfn test [dir]                                         run a function project's tests
  insertfn deploy [dir] --server URL --token T [--deploy]     save (and deploy) the project's function
  insertfn logs <destination id> [--follow]                   print a destination's delivery records

Run \`insertfn <command> --help\` for a command's options.
Exit status: 0 success; 1 the command failed (tests failed, the server refused); 2 bad usage.
`

interface Command {
  run: (argv: string[]) => Promise<number>
  help: string
}

// Loaded on demand: the server's modules take about a second to load, which `init` or `--help` should not pay.
const COMMANDS: Record<string, () => Promise<Command>> = {
  start: async () => import('./start-command.js').then((m) => ({ run: m.startCommand, help: m.START_HELP })),
  worker: async () => import('./worker-command.js').then((m) => ({ run: m.workerCommand, help: m.WORKER_HELP })),
  run: async () => import('./run-command.js').then((m) => ({ run: m.runCommand, help: m.RUN_HELP })),
  init: async () => import('./init-command.js').then((m) => ({ run: m.initCommand, help: m.INIT_HELP })),
  test: async () => import('./test-command.js').then((m) => ({ run: m.testCommand, help: m.TEST_HELP })),
  deploy: async () => import('./deploy-command.js').then((m) => ({ run: m.deployCommand, help: m.DEPLOY_HELP })),
  logs: async () => import('./logs-command.js').then((m) => ({ run: m.logsCommand, help: m.LOGS_HELP })),
}

/** Runs a command and returns the process exit code: 0 success, 1 the command failed, 2 bad usage. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(HELP)
      return command === undefined ? 2 : 0
    }
    const load = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined
    if (load === undefined) throw new UsageError(`unknown command "${command}"`)
    const entry = await load()
    // Everything after `--` belongs to the command (insertfn test passes it to Node), --help included.
    const own = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest
    if (own.includes('--help') || own.includes('-h')) {
      process.stdout.write(entry.help)
      return 0
    }
    return await entry.run(rest)
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`insertfn: ${err.message}\n${err.hint ?? 'Run `insertfn --help` for usage.'}\n`)
      return 2
    }
    if (err instanceof CommandError) {
      process.stderr.write(`insertfn: ${err.message}\n`)
      return 1
    }
    throw err
  }
}
