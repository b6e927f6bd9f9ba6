// Durability: what enqueue() acknowledged survives a SIGKILL of the process right after.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { it } from 'node:test'
import { SqliteQueue } from './sqlite-queue.js'

it('jobs acknowledged by enqueue() are there after the process is SIGKILLed', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'insertfn-crash-')), 'queue.db')
  const moduleUrl = new URL('./sqlite-queue.js', import.meta.url).href
  const script = `
    const { SqliteQueue } = await import(${JSON.stringify(moduleUrl)})
    const q = SqliteQueue.open({ file: ${JSON.stringify(file)} })
    for (let b = 0; b < 20; b++) await q.enqueue(Array.from({ length: 50 }, (_, i) => ({ destinationId: 'd', payload: JSON.stringify({ n: b * 50 + i }) })))
    process.stdout.write('enqueued\\n')
    setInterval(() => {}, 1000)`
  const child = spawn(process.execPath, ['--input-type=module', '-e', script])
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      if (c.toString().includes('enqueued')) {
        child.kill('SIGKILL')
        resolve()
      }
    })
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? undefined : reject(new Error(`child exited ${code}`))))
  })
  await new Promise((r) => child.on('close', r))
  const queue = SqliteQueue.open({ file })
  assert.equal(await queue.depth(), 1000)
  const leased = await queue.lease(1000, 30_000)
  assert.deepEqual(leased.map((j) => JSON.parse(j.payload).n), Array.from({ length: 1000 }, (_, i) => i))
  await queue.close()
})
