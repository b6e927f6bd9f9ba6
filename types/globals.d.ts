// The globals of insertfn's function sandbox, and only those: there is no `require`, `process` or file
// system, so a function that type-checks against this file uses nothing the sandbox lacks. Helper types
// that are not web or Node names carry an Insertfn prefix: a function file is global scope too, and an
// interface of its own named `Hash` would otherwise merge into ours.
/// <reference types="lodash" />

// ---- Errors that steer what happens to an event --------------------------------------------------------

/** The event type is not handled: delivery fails as "Unsupported Event Type" (not retried). */
declare class EventNotSupported extends Error {
  constructor(message?: string)
}
/** The event lacks what the function needs: fails as "Message Rejected" (not retried). */
declare class InvalidEventPayload extends Error {
  constructor(message?: string)
}
/** The event or the settings are wrong: fails as "Message Rejected" (not retried). */
declare class ValidationError extends Error {
  constructor(message?: string)
}
/** A temporary failure: the event is tried again with backoff, for up to 4 hours. */
declare class RetryError extends Error {
  constructor(message?: string)
}
/** Filters the event out on purpose (insert functions): counted as filtered, not failed. */
declare class DropEvent extends Error {
  constructor(message?: string)
}

// ---- fetch (node-fetch v2 behaviour) -------------------------------------------------------------------

type HeadersInit = Headers | [string, string][] | Record<string, string | string[]>
type BodyInit = string | ArrayBuffer | ArrayBufferView | URLSearchParams | Buffer | null

interface RequestInit {
  method?: string
  headers?: HeadersInit
  body?: BodyInit
  redirect?: 'follow' | 'manual' | 'error'
}

interface ResponseInit {
  status?: number
  statusText?: string
  headers?: HeadersInit
}

/** HTTP headers for fetch (node-fetch v2 behaviour). */
declare class Headers implements Iterable<[string, string]> {
  constructor(init?: HeadersInit)
  append(name: string, value: string): void
  set(name: string, value: string): void
  get(name: string): string | null
  has(name: string): boolean
  delete(name: string): void
  /** Every value of every header, as node-fetch v2 gives them. */
  raw(): Record<string, string[]>
  forEach(fn: (value: string, name: string, headers: Headers) => void, thisArg?: unknown): void
  entries(): IterableIterator<[string, string]>
  keys(): IterableIterator<string>
  values(): IterableIterator<string>
  [Symbol.iterator](): IterableIterator<[string, string]>
}

interface InsertfnBody {
  readonly bodyUsed: boolean
  readonly size: number
  text(): Promise<string>
  /** The body parsed as JSON; `any` because only the caller knows the API's shape. */
  json(): Promise<any>
  arrayBuffer(): Promise<ArrayBuffer>
  buffer(): Promise<Buffer>
}

// Request and Response have the body's members through declaration merging.
interface Request extends InsertfnBody {}
/** An HTTP request for fetch. */
declare class Request {
  constructor(input: string | URL | Request, init?: RequestInit)
  readonly url: string
  readonly method: string
  readonly headers: Headers
  readonly redirect: 'follow' | 'manual' | 'error'
  clone(): Request
}

interface Response extends InsertfnBody {}
/** An HTTP response from fetch. */
declare class Response {
  constructor(body?: BodyInit, init?: ResponseInit)
  readonly url: string
  readonly status: number
  readonly statusText: string
  readonly ok: boolean
  readonly redirected: boolean
  readonly headers: Headers
  clone(): Response
}

/** How a request failed before any response (network, timeout, limits): node-fetch's FetchError. */
interface FetchError extends Error {
  name: 'FetchError'
  type: string
  code: string | undefined
  errno: string | undefined
}

/**
 * Makes an HTTP request. Rejects with a FetchError when no response arrives; an HTTP error status is a
 * response (check `ok`). Requests count against the invocation's limits and are recorded (no bodies).
 */
declare function fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>

// ---- URL, encoding, Buffer -----------------------------------------------------------------------------

/** A query string, read and built. */
declare class URLSearchParams implements Iterable<[string, string]> {
  constructor(init?: string | URLSearchParams | Record<string, string> | Iterable<[string, string]>)
  readonly size: number
  append(name: string, value: string): void
  delete(name: string, value?: string): void
  get(name: string): string | null
  getAll(name: string): string[]
  has(name: string, value?: string): boolean
  set(name: string, value: string): void
  sort(): void
  forEach(fn: (value: string, name: string, params: URLSearchParams) => void, thisArg?: unknown): void
  entries(): IterableIterator<[string, string]>
  keys(): IterableIterator<string>
  values(): IterableIterator<string>
  [Symbol.iterator](): IterableIterator<[string, string]>
  toString(): string
}

/** A WHATWG URL. */
declare class URL {
  constructor(input: string | URL, base?: string | URL)
  static canParse(input: string | URL, base?: string | URL): boolean
  href: string
  readonly origin: string
  protocol: string
  username: string
  password: string
  host: string
  hostname: string
  port: string
  pathname: string
  search: string
  hash: string
  readonly searchParams: URLSearchParams
  toString(): string
  toJSON(): string
}

/** Decodes base64 to a binary string. */
declare function atob(data: string): string
/** Encodes a binary string as base64. */
declare function btoa(data: string): string

/** Encodes strings as UTF-8 bytes. */
declare class TextEncoder {
  readonly encoding: 'utf-8'
  encode(input?: string): Uint8Array
}
/** Decodes UTF-8 bytes to strings. */
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean })
  readonly encoding: string
  decode(input?: ArrayBuffer | ArrayBufferView, options?: { stream?: boolean }): string
}

type BufferEncoding = 'utf8' | 'utf-8' | 'hex' | 'base64' | 'base64url' | 'latin1' | 'binary' | 'ascii' | 'ucs2' | 'ucs-2' | 'utf16le' | 'utf-16le'

/** Node's Buffer (the `buffer` package): the parts functions use. Needs TypeScript 5.7 or later (typed arrays are generic). */
interface Buffer extends Uint8Array<ArrayBuffer> {
  toString(encoding?: BufferEncoding, start?: number, end?: number): string
  toJSON(): { type: 'Buffer'; data: number[] }
  equals(other: Uint8Array): boolean
  compare(other: Uint8Array): number
  write(text: string, offset?: number, length?: number, encoding?: BufferEncoding): number
  slice(start?: number, end?: number): Buffer
  subarray(start?: number, end?: number): Buffer
  readUInt8(offset?: number): number
  readUInt16BE(offset?: number): number
  readUInt32BE(offset?: number): number
  readInt32BE(offset?: number): number
  writeUInt32BE(value: number, offset?: number): number
}
interface BufferConstructor {
  from(text: string, encoding?: BufferEncoding): Buffer
  from(data: ArrayLike<number> | Uint8Array): Buffer
  from(buffer: ArrayBuffer, byteOffset?: number, length?: number): Buffer
  alloc(size: number, fill?: string | number, encoding?: BufferEncoding): Buffer
  allocUnsafe(size: number): Buffer
  concat(list: readonly Uint8Array[], totalLength?: number): Buffer
  isBuffer(value: unknown): value is Buffer
  byteLength(value: string | ArrayBuffer | ArrayBufferView, encoding?: BufferEncoding): number
  compare(a: Uint8Array, b: Uint8Array): number
  isEncoding(encoding: string): encoding is BufferEncoding
}
/** Node's Buffer: bytes with encodings (hex, base64, utf8). */
declare var Buffer: BufferConstructor

// ---- crypto (Node-style, plus Web Crypto's subtle) -----------------------------------------------------

type InsertfnCryptoData = string | ArrayBuffer | ArrayBufferView

interface InsertfnHash {
  update(data: InsertfnCryptoData, inputEncoding?: BufferEncoding): InsertfnHash
  digest(): Buffer
  digest(encoding: BufferEncoding): string
  copy(): InsertfnHash
}

interface InsertfnCipher {
  update(data: InsertfnCryptoData, inputEncoding?: BufferEncoding): Buffer
  update(data: InsertfnCryptoData, inputEncoding: BufferEncoding | undefined, outputEncoding: BufferEncoding): string
  final(): Buffer
  final(outputEncoding: BufferEncoding): string
  setAAD(data: InsertfnCryptoData, options?: { plaintextLength?: number }): InsertfnCipher
  getAuthTag(): Buffer
  setAuthTag(tag: InsertfnCryptoData): InsertfnCipher
  setAutoPadding(enabled?: boolean): InsertfnCipher
}

type AlgorithmIdentifier = string | { name: string; [parameter: string]: unknown }
type KeyUsage = 'encrypt' | 'decrypt' | 'sign' | 'verify' | 'deriveKey' | 'deriveBits' | 'wrapKey' | 'unwrapKey'

/** A Web Crypto key; the key material stays outside the sandbox. */
declare class CryptoKey {
  private constructor()
  readonly type: 'secret' | 'public' | 'private'
  readonly extractable: boolean
  readonly algorithm: { name: string; [parameter: string]: unknown }
  readonly usages: KeyUsage[]
}

interface SubtleCrypto {
  digest(algorithm: AlgorithmIdentifier, data: InsertfnCryptoData): Promise<ArrayBuffer>
  importKey(format: 'raw' | 'pkcs8' | 'spki' | 'jwk', keyData: InsertfnCryptoData | Record<string, unknown>, algorithm: AlgorithmIdentifier, extractable: boolean, usages: KeyUsage[]): Promise<CryptoKey>
  exportKey(format: 'raw' | 'pkcs8' | 'spki' | 'jwk', key: CryptoKey): Promise<ArrayBuffer | Record<string, unknown>>
  generateKey(algorithm: AlgorithmIdentifier, extractable: boolean, usages: KeyUsage[]): Promise<CryptoKey | { publicKey: CryptoKey; privateKey: CryptoKey }>
  encrypt(algorithm: AlgorithmIdentifier, key: CryptoKey, data: InsertfnCryptoData): Promise<ArrayBuffer>
  decrypt(algorithm: AlgorithmIdentifier, key: CryptoKey, data: InsertfnCryptoData): Promise<ArrayBuffer>
  sign(algorithm: AlgorithmIdentifier, key: CryptoKey, data: InsertfnCryptoData): Promise<ArrayBuffer>
  verify(algorithm: AlgorithmIdentifier, key: CryptoKey, signature: InsertfnCryptoData, data: InsertfnCryptoData): Promise<boolean>
  deriveBits(algorithm: AlgorithmIdentifier, baseKey: CryptoKey, length: number): Promise<ArrayBuffer>
  deriveKey(algorithm: AlgorithmIdentifier, baseKey: CryptoKey, derivedKeyAlgorithm: AlgorithmIdentifier, extractable: boolean, usages: KeyUsage[]): Promise<CryptoKey>
}

interface InsertfnCrypto {
  /** A hash such as 'sha256' or 'md5'; `digest('hex')` gives text, `digest()` a Buffer. */
  createHash(algorithm: string): InsertfnHash
  createHmac(algorithm: string, key: InsertfnCryptoData): InsertfnHash
  createCipheriv(algorithm: string, key: InsertfnCryptoData, iv: InsertfnCryptoData | null, options?: { authTagLength?: number }): InsertfnCipher
  createDecipheriv(algorithm: string, key: InsertfnCryptoData, iv: InsertfnCryptoData | null, options?: { authTagLength?: number }): InsertfnCipher
  randomBytes(size: number): Buffer
  randomUUID(): string
  randomInt(max: number): number
  randomInt(min: number, max: number): number
  getRandomValues<T extends ArrayBufferView>(array: T): T
  timingSafeEqual(a: ArrayBufferView, b: ArrayBufferView): boolean
  pbkdf2Sync(password: InsertfnCryptoData, salt: InsertfnCryptoData, iterations: number, keylen: number, digest: string): Buffer
  getHashes(): string[]
  getCiphers(): string[]
  readonly subtle: SubtleCrypto
  readonly webcrypto: { readonly subtle: SubtleCrypto; getRandomValues<T extends ArrayBufferView>(array: T): T; randomUUID(): string }
}
/** Node-style crypto: createHash, createHmac, randomUUID, randomBytes, ciphers and subtle. */
declare var crypto: InsertfnCrypto

// ---- console, timers, cache ----------------------------------------------------------------------------

/** Captured per invocation (4 KB by default) and kept with the event's delivery record. */
interface InsertfnConsole {
  log(...data: unknown[]): void
  info(...data: unknown[]): void
  warn(...data: unknown[]): void
  error(...data: unknown[]): void
  debug(...data: unknown[]): void
}
/** Captured: what a function logs appears in the test panel and in the delivery records. */
declare var console: InsertfnConsole

/** Timers belong to the invocation that set them and are cleared when it ends. */
declare function setTimeout<A extends unknown[]>(callback: (...args: A) => void, ms?: number, ...args: A): number
declare function setInterval<A extends unknown[]>(callback: (...args: A) => void, ms?: number, ...args: A): number
declare function setImmediate<A extends unknown[]>(callback: (...args: A) => void, ...args: A): number
declare function clearTimeout(id: number | undefined): void
declare function clearInterval(id: number | undefined): void
declare function clearImmediate(id: number | undefined): void
declare function queueMicrotask(callback: () => void): void

/** Memoizes values per loaded function (a token, a lookup table); may be emptied at any time. */
interface InsertfnCache {
  /** `fn`'s result for `key`, computed at most once per `ttlMs` (-1 or omitted: until evicted). */
  load<T>(key: string, ttlMs: number | undefined, fn: () => T | Promise<T>): Promise<T>
  delete(key: string): void
}
/** Values kept between invocations of this function: cache.load(key, ttlMs, fn), cache.delete(key). */
declare var cache: InsertfnCache
