// insertfn init: a function project whose tests pass at once: the function, its settings schema in
// insertfn.json, sample events, a test with insertfn/testing, and a package.json that runs it.
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { basename, join, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { MANIFEST, type ProjectManifest } from './function-project.js'
import { UsageError } from './usage-error.js'

export const INIT_HELP = `Usage: insertfn init <dir> [options]

Creates a function project in <dir> (which must be new or empty): the function, its settings schema
(insertfn.json), sample events, a test using insertfn/testing, and a package.json whose \`npm test\` passes.

Options:
  --lang ts|js                 TypeScript (default) or JavaScript
  --name <display name>        the function's name on the server (default: the folder's name)
  --insertfn-version <spec>    what package.json depends on: any npm spec, e.g. file:../insertfn
                               (default: ^ and this insertfn's version; run from a checkout,
                               file: and that checkout, as its version may not be published)

Exit status: 0 created; 2 bad usage or a folder that is not empty.
`

const HINT = 'Run `insertfn init --help` for usage.'
const TEMPLATES = new URL('../../../templates/', import.meta.url)

const OWN_ROOT = fileURLToPath(new URL('../../../', import.meta.url))

/**
 * What a new project depends on by default: this insertfn's version when it was installed from the
 * registry; when it runs from a checkout (not under node_modules), that checkout, because a checkout's
 * version need not be published and `npm install` would fail on it.
 */
async function defaultDependency(): Promise<string> {
  if (!OWN_ROOT.split(sep).includes('node_modules')) return `file:${OWN_ROOT.replace(/[\\/]$/, '')}`
  const pkg = JSON.parse(await readFile(join(OWN_ROOT, 'package.json'), 'utf8')) as { version: string }
  return `^${pkg.version}`
}

async function isEmptyOrMissing(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return false
    throw err
  }
}

/** Turns a display name into an npm package name. */
function packageName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[-._]+|[-._]+$/g, '').slice(0, 200) || 'insert-function'
}

const SETTINGS: ProjectManifest['settings'] = [
  { name: 'apiKey', label: 'API key', description: 'Key for the profile service (kept secret)', type: 'STRING', required: true, sensitive: true },
  { name: 'apiUrl', label: 'Profile service URL', description: 'Base URL, e.g. https://profiles.example.com', type: 'STRING', required: true, sensitive: false },
]

export async function initCommand(argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { lang: { type: 'string', default: 'ts' }, name: { type: 'string' }, 'insertfn-version': { type: 'string' } },
    })
  } catch (err) {
    throw new UsageError((err as Error).message, HINT)
  }
  const { values, positionals } = parsed
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'init needs the folder to create, e.g. `insertfn init my-function`' : `init takes one folder, not ${positionals.length}`, HINT)
  const lang = values.lang
  if (lang !== 'ts' && lang !== 'js') throw new UsageError(`--lang must be ts or js, not "${lang}"`, HINT)
  const dir = resolve(positionals[0]!)
  if (!(await isEmptyOrMissing(dir))) throw new UsageError(`${dir} already exists and is not empty: choose a new folder`, HINT)
  const displayName = (values.name ?? basename(dir)).trim()
  if (displayName === '' || displayName.length > 120) throw new UsageError('--name must be 1 to 120 characters', HINT)
  const dependency = values['insertfn-version'] ?? (await defaultDependency())

  const code = `src/function.${lang}`
  await mkdir(dir, { recursive: true })
  await cp(new URL(`${lang}/`, TEMPLATES), dir, { recursive: true })
  await cp(new URL('common/events/', TEMPLATES), join(dir, 'events'), { recursive: true })
  // npm drops files named .gitignore from published packages, so the template carries it without the dot.
  await cp(new URL('common/gitignore', TEMPLATES), join(dir, '.gitignore'))
  const readme = await readFile(new URL('common/README.md', TEMPLATES), 'utf8')
  await writeFile(join(dir, 'README.md'), readme.replaceAll('{{displayName}}', displayName).replaceAll('{{code}}', code))

  const manifest: ProjectManifest = { displayName, kind: 'insert', code, settings: SETTINGS }
  await writeFile(join(dir, MANIFEST), JSON.stringify(manifest, null, 2) + '\n')
  const pkg = {
    name: packageName(displayName),
    private: true,
    type: 'module',
    scripts: {
      test: 'insertfn test',
      ...(lang === 'ts' ? { typecheck: 'tsc -p . && tsc -p test' } : {}),
      deploy: 'insertfn deploy --deploy',
    },
    devDependencies: {
      insertfn: dependency,
      ...(lang === 'ts' ? { '@types/node': '^20.19.0', typescript: '^5.9.0' } : {}),
    },
  }
  await writeFile(join(dir, 'package.json'), JSON.stringify(pkg, null, 2) + '\n')

  const shown = positionals[0]!
  process.stdout.write(
    `Created ${shown}: a ${lang === 'ts' ? 'TypeScript' : 'JavaScript'} insert function, "${displayName}".\n` +
      `  ${code}  the function      test/function.test.${lang}  its tests\n` +
      `  insertfn.json  name and settings schema      events/  sample events\n\n` +
      `Next:\n  cd ${shown}\n  npm install\n  npm test\n  npx insertfn deploy --server <url> --token <token> --deploy\n`,
  )
  return 0
}
