// The published package: insertfn/testing and insertfn/types resolve through package.json "exports", and
// "files" ships the declarations and the templates (without the type fixtures).
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { it } from 'node:test'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

it('insertfn/testing resolves to the built helper', async () => {
  const testing = (await import('insertfn/testing')) as Record<string, unknown>
  assert.equal(typeof testing.loadFunction, 'function')
  assert.equal(typeof testing.UnmatchedRequestError, 'function')
})

it('npm pack ships the declarations, the templates and the built toolkit, not the fixtures', () => {
  const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' })) as [{ files: { path: string }[] }]
  const files = new Set(pack.files.map((f) => f.path))
  for (const path of [
    'types/index.d.ts', 'types/destination.d.ts', 'types/events.d.ts', 'types/globals.d.ts',
    'templates/ts/src/function.ts', 'templates/ts/test/function.test.ts', 'templates/ts/tsconfig.json', 'templates/ts/test/tsconfig.json',
    'templates/js/src/function.js', 'templates/js/test/function.test.js', 'templates/js/jsconfig.json',
    'templates/common/events/track.json', 'templates/common/gitignore', 'templates/common/README.md',
    'dist/src/toolkit/testing.js', 'dist/src/toolkit/testing.d.ts', 'dist/src/toolkit/register-typescript.js',
  ]) {
    assert.ok(files.has(path), `${path} is not in the package`)
    assert.ok(existsSync(ROOT + path), `${path} does not exist`)
  }
  assert.deepEqual([...files].filter((f) => f.includes('fixtures/')), [])
})
