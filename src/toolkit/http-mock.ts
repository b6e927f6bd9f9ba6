// HTTP mocking at the host: the sandbox's fetch goes through `HttpMock.fetch`, so user code runs exactly
// as in production while every request it makes is answered by an expectation the test declared.

/** A request the function made, as the mock saw it. */
export interface RecordedRequest {
  method: string
  url: string
  headers: Record<string, string>
  /** The body as text (UTF-8), or undefined when there was none. */
  body: string | undefined
  /** The expectation that answered it, or undefined when none matched. */
  matched: string | undefined
}

export type UrlMatcher = string | RegExp | ((url: URL) => boolean)
export type BodyMatcher = string | Record<string, unknown> | unknown[] | RegExp | ((body: string | undefined) => boolean)

export interface ExpectOptions {
  /** Text compared exactly, a JSON value compared deeply with the parsed body, a pattern, or a predicate. */
  body?: BodyMatcher
  /** Header values the request must carry (names are case-insensitive). */
  headers?: Record<string, string>
}

type ReplyBody = string | Uint8Array | Record<string, unknown> | unknown[] | null | undefined

interface Reply {
  status: number
  body: ReplyBody
  headers: Record<string, string>
  networkError?: string
}

/** Thrown by invoke() when user code made a request that no expectation matched. */
export class UnmatchedRequestError extends Error {
  constructor(
    message: string,
    readonly requests: RecordedRequest[],
  ) {
    super(message)
    this.name = 'UnmatchedRequestError'
  }
}

/** Thrown by done() when declared requests were never made. */
export class PendingRequestsError extends Error {
  constructor(
    message: string,
    readonly pending: string[],
  ) {
    super(message)
    this.name = 'PendingRequestsError'
  }
}

/** One declared request: what to match and how to answer. Matches once unless persist() is called. */
export class Expectation {
  #reply: Reply | undefined
  #persist = false
  #uses = 0

  constructor(
    readonly method: string,
    readonly url: UrlMatcher,
    readonly options: ExpectOptions = {},
  ) {}

  /** Answers with this status and body (objects and arrays are sent as JSON). */
  reply(status: number, body?: ReplyBody, headers: Record<string, string> = {}): this {
    if (!Number.isInteger(status) || status < 200 || status > 599) throw new RangeError(`reply(status): status must be a whole number from 200 to 599, not ${status}`)
    this.#reply = { status, body, headers }
    return this
  }

  /** Fails the request as a network error would (user code sees a FetchError). */
  failWith(message = 'connection refused'): this {
    this.#reply = { status: 0, body: undefined, headers: {}, networkError: message }
    return this
  }

  /** Keeps matching after the first use. */
  persist(): this {
    this.#persist = true
    return this
  }

  get answered(): boolean {
    return this.#reply !== undefined
  }

  get used(): boolean {
    return this.#uses > 0
  }

  get available(): boolean {
    return this.#persist || this.#uses === 0
  }

  describe(): string {
    const url = typeof this.url === 'function' ? '(a URL matching a function)' : String(this.url)
    return `${this.method} ${url}${this.options.body === undefined ? '' : ' with a body matcher'}`
  }

  matches(req: RecordedRequest): boolean {
    if (req.method !== this.method) return false
    if (!urlMatches(this.url, req.url)) return false
    for (const [name, value] of Object.entries(this.options.headers ?? {})) {
      if (req.headers[name.toLowerCase()] !== value) return false
    }
    return this.options.body === undefined || bodyMatches(this.options.body, req.body)
  }

  take(): Reply {
    this.#uses++
    return this.#reply ?? { status: 0, body: undefined, headers: {}, networkError: `expectation ${this.describe()} has no answer` }
  }
}

function urlMatches(matcher: UrlMatcher, url: string): boolean {
  if (typeof matcher === 'string') return matcher === url || safeHref(matcher) === url
  if (matcher instanceof RegExp) return matcher.test(url)
  return matcher(new URL(url))
}

function safeHref(text: string): string | undefined {
  try {
    return new URL(text).href
  } catch {
    return undefined
  }
}

function bodyMatches(matcher: BodyMatcher, body: string | undefined): boolean {
  if (typeof matcher === 'function') return matcher(body)
  if (matcher instanceof RegExp) return body !== undefined && matcher.test(body)
  if (typeof matcher === 'string') return body === matcher
  if (body === undefined) return false
  try {
    return deepEqual(JSON.parse(body) as unknown, matcher)
  } catch {
    return false
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
}

function show(req: RecordedRequest): string {
  const body = req.body === undefined ? '' : `\n    body: ${req.body.length > 300 ? `${req.body.slice(0, 300)}… (${req.body.length} characters)` : req.body}`
  return `  ${req.method} ${req.url}${body}`
}

/**
 * The expected requests of one function under test. Requests are matched against expectations in the
 * order they were declared; the first available one that matches answers.
 */
export class HttpMock {
  readonly #expectations: Expectation[] = []
  /** Every request made since the last reset, in order. */
  readonly requests: RecordedRequest[] = []
  #unmatched: RecordedRequest[] = []

  /** Declares a request the function is expected to make; answer it with .reply() or .failWith(). */
  expect(method: string, url: UrlMatcher, options?: ExpectOptions): Expectation {
    const e = new Expectation(method.toUpperCase(), url, options)
    this.#expectations.push(e)
    return e
  }

  /** Expectations not yet used (persistent ones that were used once do not count). */
  pending(): string[] {
    return this.#expectations.filter((e) => !e.used).map((e) => e.describe())
  }

  /**
   * Throws when a declared request was never made. Either way it then forgets the expectations and the
   * recorded requests, so that a failing test does not leave its leftovers to the next one.
   */
  done(): void {
    const pending = this.pending()
    this.reset()
    if (pending.length > 0) {
      throw new PendingRequestsError(`insertfn/testing: ${pending.length} expected request(s) were not made:\n${pending.map((p) => `  ${p}`).join('\n')}`, pending)
    }
  }

  /** Throws when an expectation was declared without an answer (a forgotten .reply()). */
  assertReady(): void {
    const unanswered = this.#expectations.filter((e) => !e.answered)
    if (unanswered.length > 0) {
      throw new Error(`insertfn/testing: expectation ${unanswered[0]!.describe()} has no answer: add .reply(status, body) or .failWith(message)`)
    }
  }

  /** Forgets expectations and recorded requests. */
  reset(): void {
    this.#expectations.length = 0
    this.requests.length = 0
    this.#unmatched = []
  }

  /** The unmatched requests since the last call, as an error to throw, or undefined. */
  takeUnmatched(): UnmatchedRequestError | undefined {
    const unmatched = this.#unmatched
    if (unmatched.length === 0) return undefined
    this.#unmatched = []
    const open = this.#expectations.filter((e) => e.available).map((e) => `  ${e.describe()}`)
    const first = unmatched[0]!
    return new UnmatchedRequestError(
      `insertfn/testing: the function made ${unmatched.length} request(s) that no expectation matches:\n${unmatched.map(show).join('\n')}\n` +
        (open.length === 0 ? 'No expectation is open.\n' : `Open expectations:\n${open.join('\n')}\n`) +
        `Declare it, e.g. fn.http.expect('${first.method}', '${first.url}').reply(200, { ... })`,
      unmatched,
    )
  }

  /** The host-side fetch handed to the runtime. */
  readonly fetch = async (input: string, init: RequestInit): Promise<Response> => {
    const headers: Record<string, string> = {}
    new Headers(init.headers).forEach((value, name) => (headers[name] = value))
    const body = init.body === undefined || init.body === null ? undefined : Buffer.from(init.body as ArrayBuffer).toString('utf8')
    const req: RecordedRequest = { method: (init.method ?? 'GET').toUpperCase(), url: input, headers, body, matched: undefined }
    this.requests.push(req)
    const expectation = this.#expectations.find((e) => e.available && e.matches(req))
    if (expectation === undefined) {
      this.#unmatched.push(req)
      throw new TypeError(`no expectation matches ${req.method} ${req.url} (insertfn/testing)`)
    }
    req.matched = expectation.describe()
    const reply = expectation.take()
    if (reply.networkError !== undefined) throw new TypeError(reply.networkError)
    return toResponse(reply)
  }
}

function toResponse(reply: Reply): Response {
  const headers = new Headers(reply.headers)
  let body: string | Uint8Array | null = null
  if (typeof reply.body === 'string') body = reply.body
  else if (reply.body instanceof Uint8Array) body = reply.body
  else if (reply.body !== undefined && reply.body !== null) {
    body = JSON.stringify(reply.body)
    if (!headers.has('content-type')) headers.set('content-type', 'application/json')
  }
  // Response refuses a body with these statuses; send none rather than fail the test for it.
  if ([204, 205, 304].includes(reply.status)) body = null
  return new Response(body, { status: reply.status, headers })
}
