// The queue URL picks and configures the queue; a wrong one says what is wrong and what would do.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { it } from 'node:test'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { JetStreamQueue } from './jetstream-queue.js'
import { parseQueueUrl, queueFromUrl, redactQueueUrl } from './queue-from-url.js'
import { SqliteQueue } from './sqlite-queue.js'

const NATS = process.env.INSERTFN_TEST_NATS_URL ?? 'nats://127.0.0.1:4222'

it('a path, a sqlite: URL or a file: URL opens the SQLite queue on that file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'insertfn-queue-url-'))
  const file = join(dir, 'queue.db')
  for (const url of [file, `sqlite:${file}`, `sqlite://${file}`, pathToFileURL(file).href]) {
    assert.deepEqual(parseQueueUrl(url), { kind: 'sqlite', file })
  }
  const first = await queueFromUrl(`sqlite:${file}`)
  assert.ok(first instanceof SqliteQueue)
  await first.enqueue([{ destinationId: 'dst_a', payload: '{}' }])
  await first.close()
  const again = await queueFromUrl(file)
  assert.equal(await again.depth(), 1)
  await again.close()
})

it('a nats:// URL names the servers, credentials and queue settings', () => {
  assert.deepEqual(parseQueueUrl('nats://app:s3cret@10.0.0.1:4222,nats://10.0.0.2:4222?name=prod&replicas=3&duplicateWindowMs=600000'), {
    kind: 'jetstream',
    options: { servers: ['nats://10.0.0.1:4222', 'nats://10.0.0.2:4222'], user: 'app', pass: 's3cret', name: 'prod', replicas: 3, duplicateWindowMs: 600000 },
  })
  assert.deepEqual(parseQueueUrl('tls://tok3n@nats.example:4443'), { kind: 'jetstream', options: { servers: ['tls://nats.example:4443'], token: 'tok3n' } })
})

it('a nats:// URL opens the JetStream queue there', async () => {
  const name = `test_${randomBytes(6).toString('hex')}`
  const queue = await queueFromUrl(`${NATS}?name=${name}`, { ackWaitMs: 5000 })
  try {
    assert.ok(queue instanceof JetStreamQueue)
    await queue.enqueue([{ destinationId: 'dst_a', payload: '{}' }])
    assert.equal(await queue.depth(), 1)
  } finally {
    await queue.close()
    const nc = await connect({ servers: NATS })
    const jsm = await jetstreamManager(nc)
    assert.equal((await jsm.consumers.info(`${name}_jobs`, `${name}_workers`)).config.ack_wait, 5000 * 1e6)
    for (const stream of [`${name}_jobs`, `${name}_failed`]) await jsm.streams.delete(stream)
    await nc.close()
  }
})

it('a wrong queue URL is refused with what is wrong, without its password', async () => {
  await assert.rejects(queueFromUrl('redis://localhost:6379'), /queue URL "redis:\/\/localhost:6379": the scheme redis: is not one insertfn knows; use a SQLite file/)
  assert.throws(() => parseQueueUrl('  '), /it is empty/)
  assert.throws(() => parseQueueUrl('sqlite:'), /it names no file/)
  assert.throws(() => parseQueueUrl('nats://u:pw@h:4222?stream=x'), (err: Error) => {
    assert.match(err.message, /it has the setting stream, and NATS queue URLs take only name, replicas, duplicateWindowMs, ackWaitMs/)
    assert.doesNotMatch(err.message, /pw/)
    return true
  })
  assert.throws(() => parseQueueUrl('nats://h:4222?replicas=three'), /replicas must be a whole number, not "three"/)
  await assert.rejects(queueFromUrl('nats://127.0.0.1:4222?replicas=0'), /replicas must be a whole number of at least 1, not 0/)
  assert.equal(redactQueueUrl('nats://app:s3cret@a:4222,nats://tok3n@b:4222'), 'nats://app:••••@a:4222,nats://••••@b:4222')
})
