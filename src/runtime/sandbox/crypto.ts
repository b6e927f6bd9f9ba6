// Node-style `crypto` for masking, hashing, encryption and tokenization. The work is done by the host's
// OpenSSL (so results match Node byte for byte); only bytes and handles cross the bridge.
import { Buffer } from './lazy-buffer.js'
import { hostSync } from './host.js'
import { callHost } from './calls.js'

type Data = string | ArrayBuffer | ArrayBufferView
type Encoding = 'utf8' | 'utf-8' | 'hex' | 'base64' | 'base64url' | 'latin1' | 'binary' | 'ascii' | 'ucs2' | 'utf16le'

function toBytes(data: Data, encoding?: Encoding): Uint8Array {
  if (typeof data === 'string') return Buffer().from(data, encoding ?? 'utf8')
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  throw new TypeError('The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView')
}

function output(bytes: Uint8Array, encoding?: Encoding): Buffer | string {
  const buf = Buffer().from(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength)
  return encoding === undefined ? buf : buf.toString(encoding)
}

// Asked of the host on first use rather than copied into every isolate at boot (a few hundred names).
let known: { hashes: string[]; ciphers: string[] } | undefined
function algorithms(): { hashes: string[]; ciphers: string[] } {
  return (known ??= hostSync<{ hashes: string[]; ciphers: string[] }>('crypto.algorithms'))
}

function checkAlgorithm(algorithm: unknown, list: string[], what: string): string {
  const name = String(algorithm)
  if (!list.includes(name.toLowerCase())) throw new Error(`${what} method not supported: ${name}`)
  return name
}

class Hash {
  readonly #op: 'hash' | 'hmac'
  readonly #algorithm: string
  readonly #key: Uint8Array | undefined
  #chunks: Uint8Array[] = []
  #done = false

  constructor(op: 'hash' | 'hmac', algorithm: string, key?: Uint8Array, chunks: Uint8Array[] = []) {
    this.#op = op
    this.#algorithm = algorithm
    this.#key = key
    this.#chunks = chunks
  }
  update(data: Data, inputEncoding?: Encoding): this {
    if (this.#done) throw new Error('Digest already called')
    this.#chunks.push(Uint8Array.from(toBytes(data, inputEncoding)))
    return this
  }
  digest(encoding?: Encoding): Buffer | string {
    if (this.#done) throw new Error('Digest already called')
    this.#done = true
    const data = Buffer().concat(this.#chunks)
    const args = this.#op === 'hash' ? [this.#algorithm, data] : [this.#algorithm, this.#key, data]
    return output(hostSync<Uint8Array>(`crypto.${this.#op}`, ...args), encoding)
  }
  copy(): Hash {
    if (this.#done) throw new Error('Digest already called')
    return new Hash(this.#op, this.#algorithm, this.#key, [...this.#chunks])
  }
}

/** A cipher lives on the host, so partial output from update() is exactly Node's. */
class Cipher {
  readonly #handle: number
  constructor(decrypt: boolean, algorithm: string, key: Data, iv: Data | null, options?: { authTagLength?: number }) {
    const cipherName = checkAlgorithm(algorithm, algorithms().ciphers, 'Cipher')
    this.#handle = hostSync<number>(
      'cipher.create',
      decrypt,
      cipherName,
      toBytes(key),
      iv === null || iv === undefined ? null : toBytes(iv),
      options?.authTagLength ?? null,
    )
  }
  update(data: Data, inputEncoding?: Encoding, outputEncoding?: Encoding): Buffer | string {
    return output(hostSync<Uint8Array>('cipher.update', this.#handle, toBytes(data, inputEncoding)), outputEncoding)
  }
  final(outputEncoding?: Encoding): Buffer | string {
    return output(hostSync<Uint8Array>('cipher.final', this.#handle), outputEncoding)
  }
  setAAD(data: Data, options?: { plaintextLength?: number }): this {
    hostSync('cipher.setAAD', this.#handle, toBytes(data), options?.plaintextLength ?? null)
    return this
  }
  getAuthTag(): Buffer {
    return output(hostSync<Uint8Array>('cipher.getAuthTag', this.#handle)) as Buffer
  }
  setAuthTag(tag: Data): this {
    hostSync('cipher.setAuthTag', this.#handle, toBytes(tag))
    return this
  }
  setAutoPadding(enabled = true): this {
    hostSync('cipher.setAutoPadding', this.#handle, Boolean(enabled))
    return this
  }
}

function randomBytes(size: number, callback?: (err: Error | null, buf: Buffer) => void): Buffer | undefined {
  const bytes = output(hostSync<Uint8Array>('crypto.randomBytes', size)) as Buffer
  if (typeof callback === 'function') {
    Promise.resolve().then(() => callback(null, bytes))
    return undefined
  }
  return bytes
}

function getRandomValues<T extends ArrayBufferView>(array: T): T {
  if (!(array instanceof Int8Array || array instanceof Uint8Array || array instanceof Uint8ClampedArray ||
    array instanceof Int16Array || array instanceof Uint16Array || array instanceof Int32Array ||
    array instanceof Uint32Array || array instanceof BigInt64Array || array instanceof BigUint64Array)) {
    throw new TypeError('getRandomValues expects an integer TypedArray')
  }
  if (array.byteLength > 65536) {
    const err = new Error(`The ArrayBufferView's byte length (${array.byteLength}) exceeds the number of bytes of entropy available via this API (65536)`)
    err.name = 'QuotaExceededError'
    throw err
  }
  const bytes = hostSync<Uint8Array>('crypto.randomBytes', array.byteLength)
  new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(bytes)
  return array
}

function randomInt(min: number, max?: number | ((err: Error | null, n: number) => void), callback?: (err: Error | null, n: number) => void): number | undefined {
  let lo = min
  let hi = max
  let cb = callback
  if (hi === undefined || typeof hi === 'function') {
    cb = hi
    hi = min
    lo = 0
  }
  const n = hostSync<number>('crypto.randomInt', lo, hi)
  if (typeof cb === 'function') {
    const done = cb
    Promise.resolve().then(() => done(null, n))
    return undefined
  }
  return n
}

// ---- crypto.subtle: asynchronous, keys held by the host and referred to by handle ----

const keyHandles = new WeakMap<object, number>()

interface KeyDescription {
  handle: number
  type: string
  extractable: boolean
  algorithm: Record<string, unknown>
  usages: string[]
}

export class CryptoKey {
  readonly type: string
  readonly extractable: boolean
  readonly algorithm: Record<string, unknown>
  readonly usages: string[]
  constructor(description: KeyDescription) {
    this.type = description.type
    this.extractable = description.extractable
    this.algorithm = Object.freeze({ ...description.algorithm })
    this.usages = Object.freeze([...description.usages]) as string[]
    keyHandles.set(this, description.handle)
    Object.freeze(this)
  }
  get [Symbol.toStringTag](): string {
    return 'CryptoKey'
  }
}

/** Replaces CryptoKey objects (anywhere in an argument) by their host handles. */
function encodeArgument(value: unknown): unknown {
  if (value instanceof CryptoKey) return { __insertfnKey: keyHandles.get(value) }
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return value
  if (Array.isArray(value)) return value.map(encodeArgument)
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value)) out[key] = encodeArgument((value as Record<string, unknown>)[key])
    return out
  }
  return value
}

function decodeResult(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value
  const tagged = value as { __insertfnKey?: KeyDescription; __insertfnPair?: { publicKey: KeyDescription; privateKey: KeyDescription } }
  if (tagged.__insertfnKey !== undefined) return new CryptoKey(tagged.__insertfnKey)
  if (tagged.__insertfnPair !== undefined) {
    return { publicKey: new CryptoKey(tagged.__insertfnPair.publicKey), privateKey: new CryptoKey(tagged.__insertfnPair.privateKey) }
  }
  if (value instanceof Uint8Array) return value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength)
  return value
}

function domError(value: unknown): Error {
  const failure = value as { name?: string; message?: string }
  const err = new Error(String(failure.message ?? 'The operation failed'))
  err.name = String(failure.name ?? 'OperationError')
  return err
}

function subtleCall(op: string, ...args: unknown[]): Promise<unknown> {
  let encoded: unknown
  try {
    encoded = { op, args: args.map(encodeArgument) }
  } catch (err) {
    return Promise.reject(err)
  }
  return callHost<unknown>('subtle', encoded, domError).then(decodeResult)
}

const subtle = Object.freeze({
  digest: (algorithm: unknown, data: unknown) => subtleCall('digest', algorithm, data),
  importKey: (format: string, keyData: unknown, algorithm: unknown, extractable: boolean, usages: string[]) =>
    subtleCall('importKey', format, keyData, algorithm, extractable, usages),
  exportKey: (format: string, key: CryptoKey) => subtleCall('exportKey', format, key),
  generateKey: (algorithm: unknown, extractable: boolean, usages: string[]) => subtleCall('generateKey', algorithm, extractable, usages),
  encrypt: (algorithm: unknown, key: CryptoKey, data: unknown) => subtleCall('encrypt', algorithm, key, data),
  decrypt: (algorithm: unknown, key: CryptoKey, data: unknown) => subtleCall('decrypt', algorithm, key, data),
  sign: (algorithm: unknown, key: CryptoKey, data: unknown) => subtleCall('sign', algorithm, key, data),
  verify: (algorithm: unknown, key: CryptoKey, signature: unknown, data: unknown) => subtleCall('verify', algorithm, key, signature, data),
  deriveBits: (algorithm: unknown, baseKey: CryptoKey, length: number) => subtleCall('deriveBits', algorithm, baseKey, length),
  deriveKey: (algorithm: unknown, baseKey: CryptoKey, derivedKeyAlgorithm: unknown, extractable: boolean, usages: string[]) =>
    subtleCall('deriveKey', algorithm, baseKey, derivedKeyAlgorithm, extractable, usages),
})

export const sandboxCrypto = Object.freeze({
  createHash: (algorithm: string) => new Hash('hash', checkAlgorithm(algorithm, algorithms().hashes, 'Digest')),
  createHmac: (algorithm: string, key: Data) =>
    new Hash('hmac', checkAlgorithm(algorithm, algorithms().hashes, 'Digest'), Uint8Array.from(toBytes(key))),
  createCipheriv: (algorithm: string, key: Data, iv: Data | null, options?: { authTagLength?: number }) =>
    new Cipher(false, algorithm, key, iv, options),
  createDecipheriv: (algorithm: string, key: Data, iv: Data | null, options?: { authTagLength?: number }) =>
    new Cipher(true, algorithm, key, iv, options),
  randomBytes,
  randomUUID: () => hostSync<string>('crypto.randomUUID'),
  randomInt,
  getRandomValues,
  timingSafeEqual: (a: ArrayBufferView, b: ArrayBufferView) => {
    const x = toBytes(a)
    const y = toBytes(b)
    if (x.byteLength !== y.byteLength) throw new RangeError('Input buffers must have the same byte length')
    let diff = 0
    for (let i = 0; i < x.byteLength; i++) diff |= x[i]! ^ y[i]!
    return diff === 0
  },
  pbkdf2Sync: (password: Data, salt: Data, iterations: number, keylen: number, digest: string) =>
    output(hostSync<Uint8Array>('crypto.pbkdf2', toBytes(password), toBytes(salt), iterations, keylen, digest)),
  getHashes: () => [...algorithms().hashes],
  getCiphers: () => [...algorithms().ciphers],
  subtle,
  webcrypto: Object.freeze({ subtle, getRandomValues, randomUUID: () => hostSync<string>('crypto.randomUUID') }),
})
