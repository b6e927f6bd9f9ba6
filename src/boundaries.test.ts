// The folder layout is the architecture (design.md section 3): dependencies point inwards, and the
// sandbox code, which runs inside the isolate, imports nothing of the host.
import assert from 'node:assert/strict'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { it } from 'node:test'

const SRC = new URL('../../src/', import.meta.url).pathname

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : []
  })
}

function imports(path: string): string[] {
  return [...readFileSync(path, 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)[^'"\n]*from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]!)
}

it('runtime depends on nothing of ours outside runtime (and spec)', () => {
  for (const path of files(join(SRC, 'runtime'))) {
    for (const spec of imports(path).filter((s) => s.startsWith('.'))) {
      const target = relative(SRC, join(path, '..', spec))
      assert.ok(target.startsWith('runtime/') || target.startsWith('spec/'), `${relative(SRC, path)} imports ${spec}`)
    }
  }
})

it('sandbox code imports only sandbox code, the bridge types, and the bundled libraries', () => {
  for (const path of files(join(SRC, 'runtime/sandbox'))) {
    for (const spec of imports(path)) {
      const ok = spec.startsWith('./') || spec === '../bridge.js' || spec === 'buffer'
      assert.ok(ok, `${relative(SRC, path)} imports ${spec}`)
    }
  }
})
