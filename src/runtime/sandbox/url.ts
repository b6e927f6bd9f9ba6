// URL parses on the host (Node's WHATWG parser, so results match Node exactly);
// URLSearchParams lives in the sandbox because query strings are built in hot loops.
import type { UrlParts } from '../bridge.js'
import { hostSync } from './host.js'

type Init = string | [string, string][] | Record<string, string> | URLSearchParams | undefined

function formEncode(text: string): string {
  return encodeURIComponent((text as string & { toWellFormed(): string }).toWellFormed())
    .replace(/[!'()~]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
    .replace(/%20/g, '+')
}

function formDecode(text: string): string {
  const spaced = text.replace(/\+/g, ' ')
  try {
    return decodeURIComponent(spaced)
  } catch {
    // Invalid escapes stay as written, as the WHATWG decoder does.
    return spaced.replace(/(%[0-9A-Fa-f]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run)
      } catch {
        return run
      }
    })
  }
}

export class URLSearchParams {
  #pairs: [string, string][] = []
  #onChange: ((query: string) => void) | undefined

  constructor(init?: Init) {
    if (init === undefined || init === null) return
    if (init instanceof URLSearchParams) {
      this.#pairs = init.#pairs.map(([k, v]) => [k, v])
    } else if (typeof init === 'object' && typeof (init as Iterable<unknown>)[Symbol.iterator] === 'function') {
      for (const pair of init as Iterable<unknown>) {
        const items = Array.from(pair as Iterable<unknown>)
        if (items.length !== 2) throw new TypeError('Each query pair must be an iterable [name, value] tuple')
        this.#pairs.push([String(items[0]), String(items[1])])
      }
    } else if (typeof init === 'object') {
      for (const key of Object.keys(init)) this.#pairs.push([key, String((init as Record<string, unknown>)[key])])
    } else {
      this.#parse(String(init))
    }
  }

  #parse(query: string): void {
    this.#pairs = []
    const text = query.startsWith('?') ? query.slice(1) : query
    for (const part of text.split('&')) {
      if (part === '') continue
      const eq = part.indexOf('=')
      const name = eq === -1 ? part : part.slice(0, eq)
      const value = eq === -1 ? '' : part.slice(eq + 1)
      this.#pairs.push([formDecode(name), formDecode(value)])
    }
  }

  /** Links these params to a URL: the URL's query is rewritten on every change. */
  static _link(params: URLSearchParams, query: string, onChange: (query: string) => void): void {
    params.#parse(query)
    params.#onChange = onChange
  }
  static _reparse(params: URLSearchParams, query: string): void {
    params.#parse(query)
  }

  #changed(): void {
    this.#onChange?.(this.toString())
  }

  get size(): number {
    return this.#pairs.length
  }
  append(name: string, value: string): void {
    this.#pairs.push([String(name), String(value)])
    this.#changed()
  }
  delete(name: string, value?: string): void {
    const n = String(name)
    this.#pairs = this.#pairs.filter(([k, v]) => k !== n || (value !== undefined && v !== String(value)))
    this.#changed()
  }
  get(name: string): string | null {
    const found = this.#pairs.find(([k]) => k === String(name))
    return found === undefined ? null : found[1]
  }
  getAll(name: string): string[] {
    return this.#pairs.filter(([k]) => k === String(name)).map(([, v]) => v)
  }
  has(name: string, value?: string): boolean {
    return this.#pairs.some(([k, v]) => k === String(name) && (value === undefined || v === String(value)))
  }
  set(name: string, value: string): void {
    const n = String(name)
    const i = this.#pairs.findIndex(([k]) => k === n)
    if (i === -1) this.#pairs.push([n, String(value)])
    else {
      this.#pairs[i] = [n, String(value)]
      this.#pairs = this.#pairs.filter(([k], j) => k !== n || j === i)
    }
    this.#changed()
  }
  sort(): void {
    this.#pairs = this.#pairs
      .map((pair, i) => ({ pair, i }))
      .sort((a, b) => (a.pair[0] < b.pair[0] ? -1 : a.pair[0] > b.pair[0] ? 1 : a.i - b.i))
      .map(({ pair }) => pair)
    this.#changed()
  }
  forEach(fn: (value: string, name: string, params: URLSearchParams) => void, thisArg?: unknown): void {
    for (const [k, v] of this.#pairs) fn.call(thisArg, v, k, this)
  }
  *entries(): IterableIterator<[string, string]> {
    for (const [k, v] of this.#pairs) yield [k, v]
  }
  *keys(): IterableIterator<string> {
    for (const [k] of this.#pairs) yield k
  }
  *values(): IterableIterator<string> {
    for (const [, v] of this.#pairs) yield v
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries()
  }
  toString(): string {
    return this.#pairs.map(([k, v]) => `${formEncode(k)}=${formEncode(v)}`).join('&')
  }
  get [Symbol.toStringTag](): string {
    return 'URLSearchParams'
  }
}

const settable = ['href', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash'] as const

export class URL {
  #parts: UrlParts
  #params: URLSearchParams

  constructor(input: unknown, base?: unknown) {
    if (arguments.length === 0) throw new TypeError('The "url" argument must be specified')
    const href = input instanceof URL ? input.href : String(input)
    const baseHref = base === undefined ? undefined : base instanceof URL ? base.href : String(base)
    this.#parts = hostSync<UrlParts>('url.parse', href, baseHref)
    this.#params = new URLSearchParams()
    URLSearchParams._link(this.#params, this.#parts.search, (query) => {
      this.#parts = hostSync<UrlParts>('url.set', this.#parts.href, 'search', query)
    })
  }

  static canParse(input: unknown, base?: unknown): boolean {
    try {
      new URL(input, base)
      return true
    } catch {
      return false
    }
  }

  #set(key: (typeof settable)[number], value: unknown): void {
    this.#parts = hostSync<UrlParts>('url.set', this.#parts.href, key, String(value))
    if (key === 'href' || key === 'search') URLSearchParams._reparse(this.#params, this.#parts.search)
  }

  get href(): string { return this.#parts.href }
  set href(v: string) { this.#set('href', v) }
  get origin(): string { return this.#parts.origin }
  get protocol(): string { return this.#parts.protocol }
  set protocol(v: string) { this.#set('protocol', v) }
  get username(): string { return this.#parts.username }
  set username(v: string) { this.#set('username', v) }
  get password(): string { return this.#parts.password }
  set password(v: string) { this.#set('password', v) }
  get host(): string { return this.#parts.host }
  set host(v: string) { this.#set('host', v) }
  get hostname(): string { return this.#parts.hostname }
  set hostname(v: string) { this.#set('hostname', v) }
  get port(): string { return this.#parts.port }
  set port(v: string) { this.#set('port', v) }
  get pathname(): string { return this.#parts.pathname }
  set pathname(v: string) { this.#set('pathname', v) }
  get search(): string { return this.#parts.search }
  set search(v: string) { this.#set('search', v) }
  get hash(): string { return this.#parts.hash }
  set hash(v: string) { this.#set('hash', v) }
  get searchParams(): URLSearchParams { return this.#params }
  toString(): string { return this.#parts.href }
  toJSON(): string { return this.#parts.href }
  get [Symbol.toStringTag](): string { return 'URL' }
}
