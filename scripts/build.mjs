// Builds everything: type-checks and compiles the host code, type-checks the sandbox code (which must not
// see Node's types), bundles the sandbox prelude into one script for the isolate, and type-checks and
// builds the web UI into dist/web, its editor completions generated from types/*.d.ts, (with a gzip copy of each file, which the server sends when it may).
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { build as viteBuild } from 'vite'

const tsc = ['node_modules/typescript/bin/tsc']
execFileSync(process.execPath, [...tsc, '-p', 'tsconfig.json'], { stdio: 'inherit' })
execFileSync(process.execPath, [...tsc, '-p', 'src/runtime/sandbox/tsconfig.json'], { stdio: 'inherit' })
// The editor's completions come from the insertfn/types declarations, read with TypeScript's parser.
const { catalogFromDeclarations } = await import('../dist/src/toolkit/completion-catalog.js')
const declarations = Object.fromEntries(['index.d.ts', 'globals.d.ts', 'events.d.ts'].map((f) => [f, readFileSync(join('types', f), 'utf8')]))
writeFileSync('web/src/editor/catalog.generated.json', JSON.stringify(catalogFromDeclarations(declarations), null, 1) + '\n')
execFileSync(process.execPath, [...tsc, '-p', 'web/tsconfig.json'], { stdio: 'inherit' })
mkdirSync('dist/sandbox', { recursive: true })
await build({
  entryPoints: ['src/runtime/sandbox/prelude.ts'],
  outfile: 'dist/sandbox/prelude.js',
  bundle: true,
  format: 'iife',
  platform: 'neutral',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  mainFields: ['browser', 'module', 'main'],
  // The isolate has no Node built-ins; anything that asks for one must fail the build, not the sandbox.
  external: [],
  logLevel: 'warning',
})

await viteBuild({ configFile: 'web/vite.config.ts', logLevel: 'warn' })
const gzipAll = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) gzipAll(path)
    else if (/\.(js|css|html|svg|json)$/.test(name)) writeFileSync(`${path}.gz`, gzipSync(readFileSync(path), { level: 9 }))
  }
}
gzipAll('dist/web')
