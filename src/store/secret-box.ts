// Sealing secret setting values at rest: AES-256-GCM with a random IV per value. The key comes from
// INSERTFN_SECRET_KEY (32 bytes, base64) or a key file made on first start with mode 0600.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

const PREFIX = 'sealed:v1:'

export class SecretBox {
  readonly #key: Buffer
  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error(`the secret key must be 32 bytes (base64 of 32 random bytes), not ${key.length}`)
    this.#key = key
  }

  /** INSERTFN_SECRET_KEY if given, otherwise the key file (created, 0600, when missing). */
  static fromEnvironment(keyFile: string, envKey: string | undefined): SecretBox {
    if (envKey !== undefined && envKey !== '') return new SecretBox(Buffer.from(envKey, 'base64'))
    if (!existsSync(keyFile)) {
      mkdirSync(dirname(keyFile), { recursive: true })
      writeFileSync(keyFile, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' })
    }
    return new SecretBox(Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64'))
  }

  seal(value: unknown): string {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv)
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()])
    return PREFIX + [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64')).join('.')
  }

  open(sealed: string): unknown {
    if (!sealed.startsWith(PREFIX)) throw new Error('not a sealed value')
    const [iv, tag, body] = sealed.slice(PREFIX.length).split('.').map((p) => Buffer.from(p, 'base64'))
    const decipher = createDecipheriv('aes-256-gcm', this.#key, iv!)
    decipher.setAuthTag(tag!)
    return JSON.parse(Buffer.concat([decipher.update(body!), decipher.final()]).toString('utf8')) as unknown
  }
}

/** How a secret looks in API responses: enough to recognise it, never enough to use it. */
export function mask(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  // The last four characters identify a long secret (an API key) without giving it away; short ones show nothing.
  return text.length < 12 ? '••••••••' : `••••${text.slice(-4)}`
}
