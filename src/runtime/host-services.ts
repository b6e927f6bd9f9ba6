// Host-side services behind the sandbox's URL and crypto globals. Every argument comes from user code,
// so each is checked here; every failure is returned as data, because a thrown host error would carry
// host stack frames into the sandbox.
import * as nodeCrypto from 'node:crypto'
import type { HostAnswer, UrlParts } from './bridge.js'

const MAX_RANDOM_BYTES = 1 << 20
const MAX_LIVE_CIPHERS = 1000
const MAX_KEYS = 1000
// Node 20 has the class only as a global, not on node:crypto's webcrypto.
const WebCryptoKey = (globalThis as unknown as { CryptoKey: new () => nodeCrypto.webcrypto.CryptoKey }).CryptoKey

class ServiceError extends Error {
  constructor(name: 'TypeError' | 'RangeError' | 'Error', message: string) {
    super(message)
    this.name = name
  }
}

function bytes(value: unknown, what: string): Uint8Array {
  if (value instanceof Uint8Array) return value
  if (value instanceof ArrayBuffer) return new Uint8Array(value)
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
  throw new ServiceError('TypeError', `${what} must be bytes`)
}

function str(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new ServiceError('TypeError', `${what} must be a string`)
  return value
}

function int(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ServiceError('RangeError', `${what} must be an integer from ${min} to ${max}, not ${String(value)}`)
  }
  return value
}

function parts(url: URL): UrlParts {
  return {
    href: url.href, origin: url.origin, protocol: url.protocol, username: url.username, password: url.password,
    host: url.host, hostname: url.hostname, port: url.port, pathname: url.pathname, search: url.search, hash: url.hash,
  }
}

const ALGORITHMS = {
  hashes: nodeCrypto.getHashes().map((h) => h.toLowerCase()),
  ciphers: nodeCrypto.getCiphers().map((c) => c.toLowerCase()),
}

const URL_SETTERS = new Set(['href', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash'])

function parseUrl(input: unknown, base: unknown): UrlParts {
  const href = str(input, 'url')
  try {
    return parts(base === undefined || base === null ? new URL(href) : new URL(href, str(base, 'base')))
  } catch {
    throw new ServiceError('TypeError', `Invalid URL: ${href.length > 200 ? href.slice(0, 200) + '…' : href}`)
  }
}

type Cipher = nodeCrypto.Cipher & Partial<nodeCrypto.CipherGCM> & Partial<nodeCrypto.DecipherGCM>

interface KeyRef {
  __insertfnKey: number
}

/** Services for one loaded function: its live ciphers and subtle keys are its own. */
export class HostServices {
  readonly #ciphers = new Map<number, Cipher>()
  readonly #keys = new Map<number, nodeCrypto.webcrypto.CryptoKey>()
  #nextHandle = 1

  sync(op: unknown, args: unknown): HostAnswer<unknown> {
    try {
      if (!Array.isArray(args)) throw new ServiceError('TypeError', 'arguments must be an array')
      return { ok: true, value: this.#run(str(op, 'op'), args) }
    } catch (err) {
      const e = err as Error
      const name = e instanceof ServiceError ? e.name : 'Error'
      return { ok: false, name, message: e.message }
    }
  }

  #run(op: string, a: unknown[]): unknown {
    switch (op) {
      case 'url.parse':
        return parseUrl(a[0], a[1])
      case 'url.set': {
        const url = new URL(parseUrl(a[0], undefined).href)
        const key = str(a[1], 'property')
        if (!URL_SETTERS.has(key)) throw new ServiceError('TypeError', `URL has no settable property ${key}`)
        if (key === 'href') return parseUrl(a[2], undefined)
        ;(url as unknown as Record<string, string>)[key] = str(a[2], key)
        return parts(url)
      }
      case 'crypto.algorithms':
        return ALGORITHMS
      case 'crypto.hash':
        return nodeCrypto.createHash(str(a[0], 'algorithm')).update(bytes(a[1], 'data')).digest()
      case 'crypto.hmac':
        return nodeCrypto.createHmac(str(a[0], 'algorithm'), bytes(a[1], 'key')).update(bytes(a[2], 'data')).digest()
      case 'crypto.randomBytes':
        return nodeCrypto.randomBytes(int(a[0], 'size', 0, MAX_RANDOM_BYTES))
      case 'crypto.randomUUID':
        return nodeCrypto.randomUUID()
      case 'crypto.randomInt': {
        const min = int(a[0], 'min', -(2 ** 47), 2 ** 47)
        const max = int(a[1], 'max', -(2 ** 47), 2 ** 47)
        if (max <= min) throw new ServiceError('RangeError', `The value of "max" must be greater than "min" (${min})`)
        return nodeCrypto.randomInt(min, max)
      }
      case 'crypto.pbkdf2':
        return nodeCrypto.pbkdf2Sync(
          bytes(a[0], 'password'), bytes(a[1], 'salt'), int(a[2], 'iterations', 1, 10_000_000),
          int(a[3], 'keylen', 0, 1 << 16), str(a[4], 'digest'),
        )
      case 'cipher.create':
        return this.#createCipher(a)
      case 'cipher.update':
        return this.#cipher(a[0]).update(bytes(a[1], 'data'))
      case 'cipher.final': {
        const cipher = this.#cipher(a[0])
        // A finished cipher stays for getAuthTag(); it is removed with the function.
        return cipher.final()
      }
      case 'cipher.setAAD': {
        const cipher = this.#cipher(a[0])
        if (cipher.setAAD === undefined) throw new ServiceError('Error', 'setAAD is only for authenticated ciphers')
        const plaintextLength = a[2] === null ? undefined : int(a[2], 'plaintextLength', 0, 2 ** 31)
        cipher.setAAD(bytes(a[1], 'aad'), plaintextLength === undefined ? undefined : { plaintextLength })
        return null
      }
      case 'cipher.getAuthTag': {
        const cipher = this.#cipher(a[0])
        if (cipher.getAuthTag === undefined) throw new ServiceError('Error', 'getAuthTag is only for authenticated ciphers')
        return cipher.getAuthTag()
      }
      case 'cipher.setAuthTag': {
        const cipher = this.#cipher(a[0])
        if (cipher.setAuthTag === undefined) throw new ServiceError('Error', 'setAuthTag is only for authenticated deciphers')
        cipher.setAuthTag(bytes(a[1], 'tag'))
        return null
      }
      case 'cipher.setAutoPadding':
        this.#cipher(a[0]).setAutoPadding(a[1] === true)
        return null
      default:
        throw new ServiceError('TypeError', `unknown host service ${op}`)
    }
  }

  #createCipher(a: unknown[]): number {
    if (this.#ciphers.size >= MAX_LIVE_CIPHERS) {
      // Oldest first: a function that creates ciphers without finishing them cannot grow without bound.
      this.#ciphers.delete(this.#ciphers.keys().next().value as number)
    }
    const decrypt = a[0] === true
    const algorithm = str(a[1], 'algorithm')
    const key = bytes(a[2], 'key')
    const iv = a[3] === null ? null : bytes(a[3], 'iv')
    const authTagLength = a[4] === null ? undefined : int(a[4], 'authTagLength', 4, 16)
    const options = authTagLength === undefined ? undefined : { authTagLength }
    const cipher = (decrypt
      ? nodeCrypto.createDecipheriv(algorithm, key, iv, options as nodeCrypto.CipherGCMOptions)
      : nodeCrypto.createCipheriv(algorithm, key, iv, options as nodeCrypto.CipherGCMOptions)) as Cipher
    const handle = this.#nextHandle++
    this.#ciphers.set(handle, cipher)
    return handle
  }

  #cipher(handle: unknown): Cipher {
    const cipher = typeof handle === 'number' ? this.#ciphers.get(handle) : undefined
    if (cipher === undefined) throw new ServiceError('Error', 'this cipher is no longer available')
    return cipher
  }

  /** crypto.subtle, on Node's WebCrypto. Keys stay here; the sandbox holds handles. */
  async subtle(payload: unknown): Promise<unknown> {
    const { op, args } = (payload ?? {}) as { op?: unknown; args?: unknown }
    if (typeof op !== 'string' || !Array.isArray(args)) throw new ServiceError('TypeError', 'malformed crypto.subtle call')
    const subtle = nodeCrypto.webcrypto.subtle as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>
    const allowed = ['digest', 'importKey', 'exportKey', 'generateKey', 'encrypt', 'decrypt', 'sign', 'verify', 'deriveBits', 'deriveKey']
    if (!allowed.includes(op)) throw new ServiceError('TypeError', `crypto.subtle.${op} is not supported`)
    const resolved = args.map((arg) => this.#resolveKeys(arg))
    const result = await subtle[op]!.apply(nodeCrypto.webcrypto.subtle, resolved)
    return this.#describe(result)
  }

  #resolveKeys(value: unknown): unknown {
    if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return value
    if (Array.isArray(value)) return value.map((v) => this.#resolveKeys(v))
    if (typeof value === 'object' && value !== null) {
      if ('__insertfnKey' in value) {
        const key = this.#keys.get((value as KeyRef).__insertfnKey)
        if (key === undefined) throw new ServiceError('TypeError', 'this CryptoKey is no longer available')
        return key
      }
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(value)) out[k] = this.#resolveKeys(v)
      return out
    }
    return value
  }

  #describe(result: unknown): unknown {
    if (result instanceof WebCryptoKey) return { __insertfnKey: this.#keep(result) }
    if (typeof result === 'object' && result !== null && 'privateKey' in result && 'publicKey' in result) {
      const pair = result as nodeCrypto.webcrypto.CryptoKeyPair
      return { __insertfnPair: { publicKey: this.#keep(pair.publicKey), privateKey: this.#keep(pair.privateKey) } }
    }
    return result
  }

  #keep(key: nodeCrypto.webcrypto.CryptoKey): unknown {
    if (this.#keys.size >= MAX_KEYS) throw new ServiceError('RangeError', `a function may hold at most ${MAX_KEYS} CryptoKeys`)
    const handle = this.#nextHandle++
    this.#keys.set(handle, key)
    return {
      handle,
      type: key.type,
      extractable: key.extractable,
      algorithm: JSON.parse(JSON.stringify(key.algorithm)) as unknown,
      usages: [...key.usages],
    }
  }

  dispose(): void {
    this.#ciphers.clear()
    this.#keys.clear()
  }
}
