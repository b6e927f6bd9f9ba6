import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { SecretBox, mask } from './secret-box.js'

describe('sealing secrets', () => {
  it('seals and opens values; every seal differs; the sealed text holds no plain value', () => {
    const box = new SecretBox(randomBytes(32))
    const a = box.seal('sk_live_1234')
    const b = box.seal('sk_live_1234')
    assert.notEqual(a, b)
    assert.doesNotMatch(a, /sk_live/)
    assert.equal(box.open(a), 'sk_live_1234')
    assert.deepEqual(box.open(box.seal({ nested: ['x'] })), { nested: ['x'] })
  })

  it('another key cannot open a sealed value, and tampering is detected', () => {
    const sealed = new SecretBox(randomBytes(32)).seal('x')
    assert.throws(() => new SecretBox(randomBytes(32)).open(sealed), /unable to authenticate|Unsupported state/)
    const box = new SecretBox(randomBytes(32))
    const good = box.seal('secret value')
    const flipped = good.slice(0, -3) + (good.at(-3) === 'A' ? 'B' : 'A') + good.slice(-2)
    assert.throws(() => box.open(flipped))
  })

  it('creates a key file with mode 0600 on first use and reuses it; INSERTFN_SECRET_KEY wins', () => {
    const dir = mkdtempSync(join(tmpdir(), 'insertfn-key-'))
    const file = join(dir, 'secret.key')
    const first = SecretBox.fromEnvironment(file, undefined)
    assert.equal(statSync(file).mode & 0o777, 0o600)
    const sealed = first.seal('v')
    assert.equal(SecretBox.fromEnvironment(file, undefined).open(sealed), 'v')
    const envKey = randomBytes(32).toString('base64')
    const fromEnv = SecretBox.fromEnvironment(file, envKey)
    assert.throws(() => fromEnv.open(sealed))
    assert.equal(readFileSync(file, 'utf8').trim().length, 44)
    assert.throws(() => new SecretBox(Buffer.alloc(16)), /must be 32 bytes/)
  })

  it('masks long secrets to their last four characters and short ones entirely', () => {
    assert.equal(mask('sk_live_abcdef1234'), '••••1234')
    assert.equal(mask('short'), '••••••••')
  })
})
