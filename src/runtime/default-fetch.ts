// The real network for user code, with the production egress policy: names are resolved here and the
// connection goes to the address that was checked, so neither an IP literal, a redirect nor a DNS answer
// that changes between check and connect (rebinding) reaches loopback, private or link-local addresses.
import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import ipaddr from 'ipaddr.js'
import { Agent, buildConnector, fetch as undiciFetch } from 'undici'
import type { HostFetch } from './options.js'

/** Only globally routable unicast addresses are allowed; everything ipaddr.js names otherwise is refused. */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false
  const parsed = ipaddr.process(address)
  return parsed.range() === 'unicast'
}

export class BlockedAddressError extends Error {
  readonly code = 'EBLOCKED'
  constructor(host: string, address: string) {
    super(`${host} resolves to ${address}, a private, loopback or link-local address that insert functions may not reach`)
    this.name = 'BlockedAddressError'
  }
}

async function publicAddressOf(hostname: string): Promise<string> {
  const host = hostname.replace(/^\[|\]$/g, '')
  if (isIP(host) !== 0) {
    if (!isPublicAddress(host)) throw new BlockedAddressError(host, host)
    return host
  }
  const answers = await lookup(host, { all: true, verbatim: true })
  const blocked = answers.find((a) => !isPublicAddress(a.address))
  if (blocked !== undefined) throw new BlockedAddressError(host, blocked.address)
  const first = answers[0]
  if (first === undefined) throw new Error(`${host} has no addresses`)
  return first.address
}

function guardedAgent(): Agent {
  const connect = buildConnector({})
  return new Agent({
    connect(options, callback) {
      publicAddressOf(options.hostname).then(
        (address) => {
          const servername = options.servername ?? (isIP(options.hostname) === 0 ? options.hostname : undefined)
          connect({ ...options, hostname: address, ...(servername === undefined ? {} : { servername }) }, callback)
        },
        (err: Error) => callback(err, null),
      )
    },
  })
}

/** A WHATWG fetch over undici; with `allowPrivateNetwork` false, private destinations are refused. */
export function createDefaultFetch(allowPrivateNetwork: boolean): { fetch: HostFetch; close(): Promise<void> } {
  const agent = allowPrivateNetwork ? new Agent() : guardedAgent()
  const fetch: HostFetch = (input, init) =>
    undiciFetch(input, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher: agent }) as unknown as Promise<Response>
  return { fetch, close: () => agent.close() }
}
