// insertfn deploy: creates or updates the project's function on a server (Save: a change of code or
// settings is a new LATEST version) and, with --deploy, makes that version the one that runs.
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { z } from 'zod'
import { createRuntime, FunctionLoadError } from '../runtime/index.js'
import { loadErrorMessage } from '../toolkit/function-source.js'
import { ApiClient, SERVER_HELP, SERVER_OPTIONS, serverTarget } from './api-client.js'
import { CommandError } from './command-error.js'
import { readProject, type ProjectManifest } from './function-project.js'
import { readFunctionCode, type FunctionSource } from './read-input.js'
import { UsageError } from './usage-error.js'

export const DEPLOY_HELP = `Usage: insertfn deploy [dir] [options]

Creates or updates the function described by [dir]/insertfn.json (default: the current folder) on an
insertfn server, and prints the version it saved. TypeScript is transpiled first. The function is found
by "functionId" in insertfn.json or, without one, by its displayName; it is created when there is none.

Options:
  --deploy                  Save & Deploy: the new version becomes DEPLOYED and the function's
                            instances run it. Without it, only a new LATEST version is saved.
${SERVER_HELP}
  --json                    print the outcome as JSON

Exit status: 0 saved (and deployed); 1 the server refused or could not be reached; 2 bad usage, an
invalid insertfn.json, or code that does not load.
`

const HINT = 'Run `insertfn deploy --help` for usage.'

const FunctionData = z.object({ function: z.object({ id: z.string() }) })
const ListData = z.object({
  functions: z.array(z.object({ id: z.string(), displayName: z.string() })),
  pagination: z.object({ next: z.string().optional() }),
})
const VersionsData = z.object({ versions: z.array(z.object({ id: z.string(), isDeployed: z.boolean() })) })

const Anything = z.unknown()

/** Refuses code that does not load before the server sees it, so the error names the file's own lines. */
async function checkLoads(source: FunctionSource, file: string, kind: ProjectManifest['kind']): Promise<void> {
  const runtime = createRuntime()
  try {
    await (await runtime.load(source.code, { kind, name: 'function' })).dispose()
  } catch (err) {
    if (err instanceof FunctionLoadError) throw new UsageError(`${file} does not load: ${loadErrorMessage(err, source)}`, 'Fix the code and deploy again.')
    throw err
  } finally {
    await runtime.close()
  }
}

async function findByName(api: ApiClient, resourceType: string, displayName: string): Promise<string | undefined> {
  const matches: string[] = []
  let cursor: string | undefined
  do {
    const query = `resourceType=${resourceType}&pagination%5Bcount%5D=1000${cursor === undefined ? '' : `&pagination%5Bcursor%5D=${encodeURIComponent(cursor)}`}`
    const page = await api.request('GET', `/functions?${query}`, ListData)
    matches.push(...page.functions.filter((f) => f.displayName === displayName).map((f) => f.id))
    cursor = page.pagination.next
  } while (cursor !== undefined)
  if (matches.length > 1) {
    throw new CommandError(`${matches.length} functions are named "${displayName}" (${matches.join(', ')}): set "functionId" in insertfn.json to the one to update`)
  }
  return matches[0]
}

async function latestVersion(api: ApiClient, functionId: string): Promise<{ id: string; isDeployed: boolean }> {
  const { versions } = await api.request('GET', `/functions/${encodeURIComponent(functionId)}/versions?pagination%5Bcount%5D=1`, VersionsData)
  if (versions[0] === undefined) throw new CommandError(`function ${functionId} has no versions`)
  return versions[0]
}

export async function deployCommand(argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { ...SERVER_OPTIONS, deploy: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } } })
  } catch (err) {
    throw new UsageError((err as Error).message, HINT)
  }
  const { values, positionals } = parsed
  if (positionals.length > 1) throw new UsageError(`deploy takes one folder, not ${positionals.length}`, HINT)
  const dir = resolve(positionals[0] ?? '.')
  const target = serverTarget(values, HINT)
  const manifest = await readProject(dir, HINT)
  const file = join(dir, manifest.code)
  const source = await readFunctionCode(file)
  await checkLoads(source, manifest.code, manifest.kind)

  const api = new ApiClient(target)
  const resourceType = manifest.kind === 'destination' ? 'DESTINATION' : 'INSERT_DESTINATION'
  let functionId = manifest.functionId ?? (await findByName(api, resourceType, manifest.displayName))
  const fields = { code: source.code, settings: manifest.settings, ...(manifest.description === undefined ? {} : { description: manifest.description }) }
  let created = false
  let before: string | undefined
  if (functionId === undefined) {
    const { function: fn } = await api.request('POST', '/functions', FunctionData, { ...fields, displayName: manifest.displayName, resourceType })
    functionId = fn.id
    created = true
  } else {
    before = (await latestVersion(api, functionId)).id
    await api.request('PATCH', `/functions/${encodeURIComponent(functionId)}`, Anything, { ...fields, displayName: manifest.displayName })
  }
  const latest = await latestVersion(api, functionId)
  if (values.deploy) await api.request('POST', `/functions/${encodeURIComponent(functionId)}/deploy`, Anything)
  const saved = latest.id !== before

  if (values.json) {
    process.stdout.write(JSON.stringify({ functionId, versionId: latest.id, created, saved, deployed: values.deploy }) + '\n')
    return 0
  }
  const lines = [
    created ? `Created "${manifest.displayName}" (${functionId}) on ${target.server}` : `Updated "${manifest.displayName}" (${functionId}) on ${target.server}`,
    saved ? `Saved version ${latest.id}` : `No change to code or settings: the latest version is still ${latest.id}`,
    values.deploy
      ? `Deployed version ${latest.id}: the function's instances run it now`
      : latest.isDeployed
        ? `Version ${latest.id} is the deployed one`
        : 'Not deployed: instances keep the version they run. Deploy with --deploy',
  ]
  process.stdout.write(lines.join('\n') + '\n')
  return 0
}
