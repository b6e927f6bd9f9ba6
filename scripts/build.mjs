// Builds everything: type-checks and compiles the host code, type-checks the sandbox code (which must not
// see Node's types), and bundles the sandbox prelude into one script for the isolate.
import { execFileSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { build } from 'esbuild'

const tsc = ['node_modules/typescript/bin/tsc']
execFileSync(process.execPath, [...tsc, '-p', 'tsconfig.json'], { stdio: 'inherit' })
execFileSync(process.execPath, [...tsc, '-p', 'src/runtime/sandbox/tsconfig.json'], { stdio: 'inherit' })
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
