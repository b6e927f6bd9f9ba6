import assert from 'node:assert/strict'
import * as nodeCrypto from 'node:crypto'
import { describe, it } from 'node:test'
import { json, mockFetch, testEvent, testRuntime } from '../testing/fixtures.js'

/** Runs `body` as an async onTrack and returns what it returns (as event.out). */
async function run(body: string, options: Parameters<typeof testRuntime>[0] = {}, settings: Record<string, unknown> = {}) {
  const runtime = testRuntime({ timeoutMs: 2000, ...options })
  const fn = await runtime.load(`async function onTrack(event, settings) { event.out = await (async () => { ${body} })(); return event }`)
  const r = await fn.invoke(testEvent(), settings)
  if (r.outcome !== 'forwarded') throw new Error(`expected forwarded, got ${JSON.stringify(r)}`)
  return { out: r.event!.out, result: r }
}

describe('fetch (node-fetch v2 behaviour)', () => {
  const api = mockFetch({
    'https://api.example.com/users/1': json({ id: 1, plan: 'pro' }, 200, { 'x-request-id': 'r-1' }),
    'https://api.example.com/missing': new Response('not here', { status: 404, statusText: 'Not Found' }),
    'https://api.example.com/echo': (req) => json(req),
    'https://api.example.com/html': new Response('<html>', { status: 200 }),
    'https://api.example.com/utf8': new Response('Grüße, 世界', { status: 200 }),
  })
  const opts = { fetch: api.fetch }

  it('accepts a string URL and reads ok, status, statusText, headers and json()', async () => {
    const { out, result } = await run(`
      const res = await fetch('https://api.example.com/users/1')
      return { ok: res.ok, status: res.status, statusText: res.statusText, rid: res.headers.get('X-Request-Id'), body: await res.json() }`, opts)
    assert.deepEqual(out, { ok: true, status: 200, statusText: '', rid: 'r-1', body: { id: 1, plan: 'pro' } })
    assert.equal(result.requests.length, 1)
    assert.deepEqual({ ...result.requests[0], durationMs: 0 }, { method: 'GET', url: 'https://api.example.com/users/1', status: 200, durationMs: 0 })
  })

  it('accepts a URL and a Request, and sends method, headers and body', async () => {
    const { out } = await run(`
      const viaUrl = await (await fetch(new URL('https://api.example.com/echo'), { method: 'post', headers: { 'X-Key': 'k' }, body: JSON.stringify({ a: 1 }) })).json()
      const viaRequest = await (await fetch(new Request('https://api.example.com/echo', { method: 'PUT', headers: new Headers({ Authorization: 'Bearer t' }), body: 'raw' }))).json()
      return { viaUrl, viaRequest }`, opts)
    const o = out as Record<string, Record<string, unknown>>
    assert.equal(o.viaUrl!.method, 'POST')
    assert.equal((o.viaUrl!.headers as Record<string, string>)['x-key'], 'k')
    assert.equal(o.viaUrl!.body, '{"a":1}')
    assert.equal((o.viaUrl!.headers as Record<string, string>)['content-type'], 'text/plain;charset=UTF-8')
    assert.equal(o.viaRequest!.method, 'PUT')
    assert.equal((o.viaRequest!.headers as Record<string, string>).authorization, 'Bearer t')
    assert.equal(o.viaRequest!.body, 'raw')
  })

  it('resolves with the response for HTTP errors (status 404 is not a rejection)', async () => {
    const { out } = await run(`const res = await fetch('https://api.example.com/missing'); return [res.ok, res.status, res.statusText, await res.text()]`, opts)
    assert.deepEqual(out, [false, 404, 'Not Found', 'not here'])
  })

  it('rejects with a FetchError on network failure', async () => {
    const { out } = await run(`try { await fetch('https://nowhere.invalid/x'); return 'no error' } catch (e) { return [e.name, e.type, e.code, e.message] }`, opts)
    assert.deepEqual(out, ['FetchError', 'system', 'ENOTFOUND', 'request to https://nowhere.invalid/x failed, reason: getaddrinfo ENOTFOUND nowhere.invalid'])
  })

  it('json() on a non-JSON body rejects like node-fetch, and a body reads once', async () => {
    const { out } = await run(`
      const res = await fetch('https://api.example.com/html')
      const bad = await res.json().then(() => 'parsed', e => [e.name, e.type])
      const again = await res.text().then(() => 'read twice', e => e.message)
      return { bad, again }`, opts)
    assert.deepEqual(out, { bad: ['FetchError', 'invalid-json'], again: 'body used already for: https://api.example.com/html' })
  })

  it('decodes text() as UTF-8 and offers arrayBuffer() and buffer()', async () => {
    const { out } = await run(`
      const a = await (await fetch('https://api.example.com/utf8')).text()
      const b = await (await fetch('https://api.example.com/utf8')).arrayBuffer()
      const c = await (await fetch('https://api.example.com/utf8')).buffer()
      return [a, b.byteLength, c.toString('utf8')]`, opts)
    assert.deepEqual(out, ['Grüße, 世界', Buffer.byteLength('Grüße, 世界'), 'Grüße, 世界'])
  })

  it('sends URLSearchParams as a form body', async () => {
    const { out } = await run(`
      const res = await fetch('https://api.example.com/echo', { method: 'POST', body: new URLSearchParams({ q: 'a b', n: '1' }) })
      const seen = await res.json(); return [seen.body, seen.headers['content-type']]`, opts)
    assert.deepEqual(out, ['q=a+b&n=1', 'application/x-www-form-urlencoded;charset=UTF-8'])
  })

  it('refuses a body on GET, and non-http URLs, with clear errors', async () => {
    const { out } = await run(`
      const a = await fetch('https://api.example.com/echo', { body: 'x' }).catch(e => e.message)
      const b = await fetch('file:///etc/passwd').catch(e => e.message)
      return [a, b]`, opts)
    assert.deepEqual(out, ['Request with GET/HEAD method cannot have body', 'only http and https URLs can be fetched, not file:///etc/passwd'])
  })

  it('Headers is case-insensitive, joins repeated values and has raw()', async () => {
    const { out } = await run(`
      const h = new Headers([['Set-Cookie', 'a=1'], ['set-cookie', 'b=2']]); h.append('X-A', '1')
      return { joined: h.get('SET-COOKIE'), raw: h.raw()['set-cookie'], has: h.has('x-a'), entries: [...h].length }`)
    assert.deepEqual(out, { joined: 'a=1, b=2', raw: ['a=1', 'b=2'], has: true, entries: 2 })
  })

  it('Response can be built by user code', async () => {
    const { out } = await run(`const r = new Response('{"a":1}', { status: 201 }); return [r.ok, r.status, await r.json()]`)
    assert.deepEqual(out, [true, 201, { a: 1 }])
  })
})

describe('URL and URLSearchParams', () => {
  it('parse and build like Node, including relative URLs and setters', async () => {
    const { out } = await run(`
      const u = new URL('../b?x=1#h', 'https://user:pw@example.com:8443/a/c')
      u.searchParams.append('y', 'z w')
      u.pathname = '/renamed'
      return { href: u.href, host: u.host, origin: u.origin, search: u.search, hash: u.hash, x: u.searchParams.get('x') }`)
    const expected = new URL('../b?x=1#h', 'https://user:pw@example.com:8443/a/c')
    expected.searchParams.append('y', 'z w')
    expected.pathname = '/renamed'
    assert.deepEqual(out, { href: expected.href, host: expected.host, origin: expected.origin, search: expected.search, hash: expected.hash, x: '1' })
  })

  it('throws TypeError for an invalid URL', async () => {
    const { out } = await run(`try { new URL('not a url') } catch (e) { return [e.name, e.message] }`)
    assert.deepEqual(out, ['TypeError', 'Invalid URL: not a url'])
  })

  it('URLSearchParams encodes like the WHATWG form serializer', async () => {
    const input = { q: "a b&c=d/é*-._~!'()", e: '' }
    const { out } = await run(`const p = new URLSearchParams(${JSON.stringify(input)}); p.sort(); return [p.toString(), [...new URLSearchParams('a=1&a=2&b=%20x+y')]]`)
    const p = new URLSearchParams(input)
    p.sort()
    assert.deepEqual(out, [p.toString(), [...new URLSearchParams('a=1&a=2&b=%20x+y')]])
  })
})

describe('encoding globals', () => {
  it('atob and btoa match the web platform, including their errors', async () => {
    const { out } = await run(`return [btoa('user:pass'), atob('dXNlcjpwYXNz'), (() => { try { btoa('€') } catch (e) { return e.name } })(), (() => { try { atob('***') } catch (e) { return e.name } })()]`)
    assert.deepEqual(out, ['dXNlcjpwYXNz', 'user:pass', 'InvalidCharacterError', 'InvalidCharacterError'])
  })

  it('Buffer converts between encodings', async () => {
    const { out } = await run(`return [Buffer.from('héllo').toString('base64'), Buffer.from('68656c6c6f', 'hex').toString(), Buffer.byteLength('€'), Buffer.isBuffer(Buffer.alloc(2))]`)
    assert.deepEqual(out, [Buffer.from('héllo').toString('base64'), 'hello', 3, true])
  })

  it('TextEncoder and TextDecoder round-trip UTF-8', async () => {
    const { out } = await run(`const bytes = new TextEncoder().encode('ab€'); return [Array.from(bytes), new TextDecoder().decode(bytes)]`)
    assert.deepEqual(out, [[...Buffer.from('ab€')], 'ab€'])
  })
})

describe('crypto (Node-style, for masking, encryption and tokenization)', () => {
  it('createHash and createHmac match Node byte for byte', async () => {
    const { out } = await run(`return [
      crypto.createHash('sha256').update('jane@example.com').digest('hex'),
      crypto.createHash('md5').update(Buffer.from('x')).update('y').digest('base64'),
      crypto.createHmac('sha256', 'salt').update('jane@example.com').digest('hex'),
    ]`)
    assert.deepEqual(out, [
      nodeCrypto.createHash('sha256').update('jane@example.com').digest('hex'),
      nodeCrypto.createHash('md5').update('xy').digest('base64'),
      nodeCrypto.createHmac('sha256', 'salt').update('jane@example.com').digest('hex'),
    ])
  })

  it('refuses an unknown digest as Node does', async () => {
    const { out } = await run(`try { crypto.createHash('sha999') } catch (e) { return e.message }`)
    assert.equal(out, 'Digest method not supported: sha999')
  })

  it('randomUUID and randomBytes give fresh values of the right shape', async () => {
    const { out } = await run(`return [crypto.randomUUID(), crypto.randomUUID(), crypto.randomBytes(16).length, crypto.getRandomValues(new Uint8Array(8)).length]`)
    const [a, b, len, vals] = out as [string, string, number, number]
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    assert.notEqual(a, b)
    assert.equal(len, 16)
    assert.equal(vals, 8)
  })

  it('AES-256-GCM from the sandbox decrypts in Node, and the reverse', async () => {
    const key = nodeCrypto.randomBytes(32)
    const iv = nodeCrypto.randomBytes(12)
    const c = nodeCrypto.createCipheriv('aes-256-gcm', key, iv)
    const fromNode = Buffer.concat([c.update('from node', 'utf8'), c.final()]).toString('base64')
    const nodeTag = c.getAuthTag().toString('base64')
    const { out } = await run(
      `const key = Buffer.from(settings.key, 'base64'), iv = Buffer.from(settings.iv, 'base64')
       const c = crypto.createCipheriv('aes-256-gcm', key, iv)
       const enc = c.update('jane@example.com', 'utf8', 'base64') + c.final('base64')
       const d = crypto.createDecipheriv('aes-256-gcm', key, iv); d.setAuthTag(Buffer.from(settings.tag, 'base64'))
       const dec = d.update(settings.fromNode, 'base64', 'utf8') + d.final('utf8')
       return { enc, tag: c.getAuthTag().toString('base64'), dec }`,
      {},
      { key: key.toString('base64'), iv: iv.toString('base64'), tag: nodeTag, fromNode },
    )
    const o = out as { enc: string; tag: string; dec: string }
    const d = nodeCrypto.createDecipheriv('aes-256-gcm', key, iv)
    d.setAuthTag(Buffer.from(o.tag, 'base64'))
    assert.equal(d.update(o.enc, 'base64', 'utf8') + d.final('utf8'), 'jane@example.com')
    assert.equal(o.dec, 'from node')
  })

  it('a wrong auth tag fails decryption with an error user code can catch', async () => {
    const { out } = await run(`
      const key = crypto.randomBytes(32), iv = crypto.randomBytes(12)
      const d = crypto.createDecipheriv('aes-256-gcm', key, iv); d.setAuthTag(Buffer.alloc(16))
      d.update(Buffer.from('abcd'))
      try { d.final(); return 'decrypted' } catch (e) { return e.message }`)
    assert.match(String(out), /unable to authenticate data/i)
  })

  it('crypto.subtle digests, encrypts, decrypts and signs', async () => {
    const { out } = await run(`
      const digest = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode('abc'))).toString('hex')
      const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt', 'decrypt'])
      const iv = crypto.getRandomValues(new Uint8Array(12))
      const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, new TextEncoder().encode('secret'))
      const pt = new TextDecoder().decode(await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, ct))
      const hk = await crypto.subtle.importKey('raw', new TextEncoder().encode('k'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
      const sig = Buffer.from(await crypto.subtle.sign('HMAC', hk, new TextEncoder().encode('m'))).toString('hex')
      return { digest, pt, sig, keyType: key.type, alg: key.algorithm.name, usages: key.usages }`)
    assert.deepEqual(out, {
      digest: nodeCrypto.createHash('sha256').update('abc').digest('hex'),
      pt: 'secret',
      sig: nodeCrypto.createHmac('sha256', 'k').update('m').digest('hex'),
      keyType: 'secret',
      alg: 'AES-GCM',
      usages: ['encrypt', 'decrypt'],
    })
  })

  it('crypto.subtle failures reject with the DOM error name', async () => {
    const { out } = await run(`return await crypto.subtle.digest('SHA-7', new Uint8Array(1)).then(() => 'ok', e => e.name)`)
    assert.equal(out, 'NotSupportedError')
  })
})

describe('lodash, console, timers and cache', () => {
  it('lodash is the global _', async () => {
    const { out } = await run(`return [_.get({ a: { b: [1, 2] } }, 'a.b[1]'), _.snakeCase('Order Completed'), _.VERSION]`)
    assert.deepEqual(out, [2, 'order_completed', '4.17.21'])
  })

  it('console output is captured per invocation, with its level', async () => {
    const { result } = await run(`console.log('a', 1, { b: true }); console.warn('w'); console.error(new TypeError('t')); console.info('%s=%d', 'x', 5); return 1`)
    assert.deepEqual(result.logs.map((l) => [l.level, l.message.split('\n')[0]]), [
      ['log', 'a 1 {"b":true}'],
      ['warn', 'w'],
      ['error', 'TypeError: t'],
      ['info', 'x=5'],
    ])
  })

  it('setTimeout, setInterval and their clear functions work within an invocation', async () => {
    const { out } = await run(`
      const ticks = []
      await new Promise(resolve => { const id = setInterval(() => { ticks.push(ticks.length); if (ticks.length === 3) { clearInterval(id); resolve() } }, 5) })
      let cleared = true; const t = setTimeout(() => { cleared = false }, 5); clearTimeout(t)
      await new Promise(r => setTimeout(r, 20))
      return { ticks, cleared }`)
    assert.deepEqual(out, { ticks: [0, 1, 2], cleared: true })
  })

  it('cache.load memoizes per key for ttl ms, shares concurrent loads, and cache.delete forgets', async () => {
    const runtime = testRuntime()
    const fn = await runtime.load(`
      let loads = 0
      async function onTrack(e) {
        const [a, b] = await Promise.all([cache.load('token', 60000, async () => ++loads), cache.load('token', 60000, async () => ++loads)])
        if (e.forget) cache.delete('token')
        const short = await cache.load('short', 1, async () => ++loads)
        return { ...e, a, b, loads }
      }`)
    const first = (await fn.invoke(testEvent())).event!
    await new Promise((r) => setTimeout(r, 5))
    const second = (await fn.invoke(testEvent({ forget: true }))).event!
    const third = (await fn.invoke(testEvent())).event!
    assert.deepEqual([first.a, first.b, first.loads], [1, 1, 2])
    assert.deepEqual([second.a, second.loads], [1, 3]) // 'short' expired after 1 ms and loaded again
    assert.equal(third.a, 4) // 'token' was deleted, so loaded again
  })

  it('cache.load does not keep a failed load', async () => {
    const { out } = await run(`
      let n = 0
      const fail = await cache.load('k', -1, async () => { n++; throw new Error('down') }).catch(e => e.message)
      const ok = await cache.load('k', -1, async () => ++n)
      return [fail, ok]`)
    assert.deepEqual(out, ['down', 2])
  })
})
