// insertfn's command line. Each command is a module with one job; this file only routes.
import { CommandError } from './command-error.js'
import { deployCommand, DEPLOY_HELP } from './deploy-command.js'
import { initCommand, INIT_HELP } from './init-command.js'
import { logsCommand, LOGS_HELP } from './logs-command.js'
import { runCommand, RUN_HELP } from './run-command.js'
import { startCommand, START_HELP } from './start-command.js'
import { testCommand, TEST_HELP } from './test-command.js'
import { UsageError } from './usage-error.js'

const HELP = `insertfn: Segment-style insert functions, self-hosted

Usage:
  insertfn start [options]                                    run the server on an embedded SQLite file
  insertfn run <function.js|.ts> --event <file|-> [options]   run one event, or a JSON array as a batch
  insertfn init <dir> [--lang ts|js]                          create a function project with passing tests
  insertfn test [dir]                                         run a function project's tests
  insertfn deploy [dir] --server URL --token T [--deploy]     save (and deploy) the project's function
  insertfn logs <destination id> [--follow]                   print a destination's delivery records

Run \`insertfn <command> --help\` for a command's options.
Exit status: 0 success; 1 the command failed (tests failed, the server refused); 2 bad usage.
`

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; help: string }> = {
  start: { run: startCommand, help: START_HELP },
  run: { run: runCommand, help: RUN_HELP },
  init: { run: initCommand, help: INIT_HELP },
  test: { run: testCommand, help: TEST_HELP },
  deploy: { run: deployCommand, help: DEPLOY_HELP },
  logs: { run: logsCommand, help: LOGS_HELP },
}

/** Runs a command and returns the process exit code: 0 success, 1 the command failed, 2 bad usage. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(HELP)
      return command === undefined ? 2 : 0
    }
    const entry = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined
    if (entry === undefined) throw new UsageError(`unknown command "${command}"`)
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
