// fetch, Headers, Request and Response with node-fetch v2 behaviour (what Segment's runtime exposes):
// bodies are read whole by the host, `text()` decodes UTF-8, `json()` fails with a FetchError,
// a network failure rejects, and `headers.raw()` and `res.buffer()` exist.
import { Buffer } from './lazy-buffer.js'
import type { BridgeFailure, BridgeRequest, BridgeResponse } from '../bridge.js'
import { callHost } from './calls.js'
import { URL, URLSearchParams } from './url.js'

export class FetchError extends Error {
  readonly type: string
  readonly code: string | undefined
  readonly errno: string | undefined
  constructor(message: string, type: string, code?: string) {
    super(message)
    this.name = 'FetchError'
    this.type = type
    this.code = code
    this.errno = code
  }
}

const tokenPattern = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const invalidValue = /[\0\r\n]/

function checkName(name: unknown): string {
  const text = String(name)
  if (!tokenPattern.test(text)) throw new TypeError(`${text} is not a legal HTTP header name`)
  return text.toLowerCase()
}
function checkValue(value: unknown, name: string): string {
  const text = String(value).trim()
  if (invalidValue.test(text)) throw new TypeError(`${text} is not a legal HTTP header value for ${name}`)
  return text
}

type HeadersInit = Headers | [string, string][] | Record<string, string | string[]>

export class Headers {
  #map = new Map<string, string[]>()

  constructor(init?: HeadersInit) {
    if (init === undefined || init === null) return
    if (init instanceof Headers) {
      for (const [k, vs] of init.#map) this.#map.set(k, [...vs])
    } else if (typeof (init as Iterable<unknown>)[Symbol.iterator] === 'function') {
      for (const pair of init as Iterable<unknown>) {
        const items = Array.from(pair as Iterable<unknown>)
        if (items.length !== 2) throw new TypeError('Each header pair must be a name/value tuple')
        this.append(String(items[0]), String(items[1]))
      }
    } else if (typeof init === 'object') {
      for (const key of Object.keys(init)) {
        const value = (init as Record<string, unknown>)[key]
        if (Array.isArray(value)) for (const v of value) this.append(key, String(v))
        else this.append(key, String(value))
      }
    } else {
      throw new TypeError('Provided initializer must be an object')
    }
  }

  append(name: string, value: string): void {
    const key = checkName(name)
    const list = this.#map.get(key)
    if (list === undefined) this.#map.set(key, [checkValue(value, key)])
    else list.push(checkValue(value, key))
  }
  set(name: string, value: string): void {
    const key = checkName(name)
    this.#map.set(key, [checkValue(value, key)])
  }
  get(name: string): string | null {
    const list = this.#map.get(checkName(name))
    return list === undefined ? null : list.join(', ')
  }
  has(name: string): boolean {
    return this.#map.has(checkName(name))
  }
  delete(name: string): void {
    this.#map.delete(checkName(name))
  }
  /** node-fetch v2: every value of every header, unjoined. */
  raw(): Record<string, string[]> {
    const out: Record<string, string[]> = {}
    for (const [k, vs] of this.#map) out[k] = [...vs]
    return out
  }
  forEach(fn: (value: string, name: string, headers: Headers) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this)
  }
  *entries(): IterableIterator<[string, string]> {
    const keys = [...this.#map.keys()].sort()
    for (const k of keys) yield [k, this.#map.get(k)!.join(', ')]
  }
  *keys(): IterableIterator<string> {
    for (const [k] of this.entries()) yield k
  }
  *values(): IterableIterator<string> {
    for (const [, v] of this.entries()) yield v
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries()
  }
  get [Symbol.toStringTag](): string {
    return 'Headers'
  }
  /** Pairs for the bridge, one per value, in insertion order. */
  static _pairs(headers: Headers): [string, string][] {
    const out: [string, string][] = []
    for (const [k, vs] of headers.#map) for (const v of vs) out.push([k, v])
    return out
  }
}

type BodyInit = string | ArrayBuffer | ArrayBufferView | URLSearchParams | Buffer | null | undefined

/** Turns a body into bytes and the content type it implies (node-fetch's extractBody). */
function extractBody(body: unknown): { bytes: Uint8Array | null; contentType: string | null } {
  if (body === undefined || body === null) return { bytes: null, contentType: null }
  if (typeof body === 'string') return { bytes: Buffer().from(body, 'utf8'), contentType: 'text/plain;charset=UTF-8' }
  if (body instanceof URLSearchParams) {
    return { bytes: Buffer().from(body.toString(), 'utf8'), contentType: 'application/x-www-form-urlencoded;charset=UTF-8' }
  }
  if (body instanceof ArrayBuffer) return { bytes: new Uint8Array(body.slice(0)), contentType: null }
  if (ArrayBuffer.isView(body)) {
    return { bytes: new Uint8Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength)), contentType: null }
  }
  // node-fetch v2 sends any other object as its string form.
  return { bytes: Buffer().from(String(body), 'utf8'), contentType: 'text/plain;charset=UTF-8' }
}

class Body {
  #bytes: Uint8Array | null
  #used = false
  readonly #url: () => string

  constructor(bytes: Uint8Array | null, url: () => string) {
    this.#bytes = bytes
    this.#url = url
  }
  get bodyUsed(): boolean {
    return this.#used
  }
  get size(): number {
    return this.#bytes?.byteLength ?? 0
  }
  #consume(): Promise<Buffer> {
    if (this.#used) return Promise.reject(new TypeError(`body used already for: ${this.#url()}`))
    this.#used = true
    const bytes = this.#bytes ?? new Uint8Array(0)
    return Promise.resolve(Buffer().from(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength))
  }
  text(): Promise<string> {
    return this.#consume().then((b) => b.toString('utf8'))
  }
  json(): Promise<unknown> {
    return this.#consume().then((b) => {
      const text = b.toString('utf8')
      try {
        return JSON.parse(text) as unknown
      } catch (err) {
        throw new FetchError(`invalid json response body at ${this.#url()} reason: ${(err as Error).message}`, 'invalid-json')
      }
    })
  }
  arrayBuffer(): Promise<ArrayBuffer> {
    return this.#consume().then((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer)
  }
  buffer(): Promise<Buffer> {
    return this.#consume()
  }
  blob(): Promise<never> {
    return Promise.reject(new TypeError('Blob bodies are not supported in insert functions; use text(), json(), arrayBuffer() or buffer()'))
  }
  static _bytes(body: Body): Uint8Array | null {
    return body.#bytes
  }
}

interface RequestInit {
  method?: string
  headers?: HeadersInit
  body?: BodyInit
  redirect?: 'follow' | 'manual' | 'error'
  signal?: unknown
}

export class Request extends Body {
  readonly url: string
  readonly method: string
  readonly headers: Headers
  readonly redirect: 'follow' | 'manual' | 'error'

  constructor(input: string | URL | Request, init: RequestInit = {}) {
    const source = input instanceof Request ? input : undefined
    const url = source !== undefined ? source.url : new URL(String(input)).href
    const method = String(init.method ?? source?.method ?? 'GET').toUpperCase()
    const rawBody = init.body !== undefined ? init.body : source !== undefined ? Body._bytes(source) : null
    if ((method === 'GET' || method === 'HEAD') && rawBody !== null && rawBody !== undefined) {
      throw new TypeError('Request with GET/HEAD method cannot have body')
    }
    const { bytes, contentType } = extractBody(rawBody)
    super(bytes, () => url)
    this.url = url
    this.method = method
    this.headers = new Headers(init.headers ?? source?.headers)
    if (contentType !== null && !this.headers.has('content-type')) this.headers.set('content-type', contentType)
    const redirect = init.redirect ?? source?.redirect ?? 'follow'
    if (redirect !== 'follow' && redirect !== 'manual' && redirect !== 'error') {
      throw new TypeError(`redirect must be "follow", "manual" or "error", not ${String(redirect)}`)
    }
    this.redirect = redirect
  }
  clone(): Request {
    if (this.bodyUsed) throw new TypeError('Cannot clone a Request whose body was used')
    return new Request(this)
  }
  get [Symbol.toStringTag](): string {
    return 'Request'
  }
}

interface ResponseInit {
  status?: number
  statusText?: string
  headers?: HeadersInit
  url?: string
  redirected?: boolean
}

export class Response extends Body {
  readonly status: number
  readonly statusText: string
  readonly headers: Headers
  readonly url: string
  readonly redirected: boolean

  constructor(body?: BodyInit, init: ResponseInit = {}) {
    const { bytes, contentType } = extractBody(body)
    const url = init.url ?? ''
    super(bytes, () => url)
    this.status = init.status ?? 200
    this.statusText = init.statusText ?? ''
    this.headers = new Headers(init.headers)
    if (contentType !== null && !this.headers.has('content-type')) this.headers.set('content-type', contentType)
    this.url = url
    this.redirected = init.redirected ?? false
  }
  get ok(): boolean {
    return this.status >= 200 && this.status < 300
  }
  clone(): Response {
    if (this.bodyUsed) throw new TypeError('Cannot clone a Response whose body was used')
    const bytes = Body._bytes(this)
    return new Response(bytes === null ? null : bytes.slice(), this)
  }
  get [Symbol.toStringTag](): string {
    return 'Response'
  }
}

function toFetchError(value: unknown): FetchError {
  const failure = value as BridgeFailure
  return new FetchError(String(failure.message), 'system', failure.code)
}

export function fetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  let request: Request
  try {
    request = new Request(input, init)
  } catch (err) {
    return Promise.reject(err)
  }
  if (!request.headers.has('accept')) request.headers.set('accept', '*/*')
  const bytes = Body._bytes(request)
  const payload: BridgeRequest = {
    url: request.url,
    method: request.method,
    headers: Headers._pairs(request.headers),
    redirect: request.redirect,
    ...(bytes !== null ? { body: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer } : {}),
  }
  return callHost<BridgeResponse>('fetch', payload, toFetchError).then(
    (res) =>
      new Response(new Uint8Array(res.body), {
        status: res.status,
        statusText: res.statusText,
        headers: res.headers,
        url: res.url,
        redirected: res.redirected,
      }),
  )
}
