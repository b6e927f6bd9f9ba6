import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { withConfigFile } from './config-file.js'
import { UsageError } from './usage-error.js'

const ENV_OF = { port: 'INSERTFN_PORT', 'data-dir': 'INSERTFN_DATA_DIR', 'allow-private-network': 'INSERTFN_ALLOW_PRIVATE_NETWORK' }
const dir = mkdtempSync(join(tmpdir(), 'insertfn-config-'))
function file(text: string): string {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.json`)
  writeFileSync(path, text)
  return path
}

describe('config file: options by flag name, under the environment', () => {
  it('turns each option into the variable its flag reads, true/false into 1/0', () => {
    const env = withConfigFile(file('{"port": 4100, "data-dir": "/srv/insertfn", "allow-private-network": true}'), ENV_OF, {}, 'hint')
    assert.deepEqual(env, { INSERTFN_PORT: '4100', INSERTFN_DATA_DIR: '/srv/insertfn', INSERTFN_ALLOW_PRIVATE_NETWORK: '1' })
  })

  it('gives way to the environment (and so to flags, which are read before either)', () => {
    const env = withConfigFile(file('{"port": 4100, "data-dir": "/srv/insertfn"}'), ENV_OF, { INSERTFN_PORT: '5000', HOME: '/root' }, 'hint')
    assert.deepEqual(env, { INSERTFN_PORT: '5000', INSERTFN_DATA_DIR: '/srv/insertfn', HOME: '/root' })
  })

  it('returns the environment as it is without a file', () => {
    const given = { INSERTFN_PORT: '1' }
    assert.equal(withConfigFile(undefined, ENV_OF, given, 'hint'), given)
  })

  it('refuses what it cannot use, naming the file and the problem', () => {
    const refuses = (path: string, message: RegExp) =>
      assert.throws(() => withConfigFile(path, ENV_OF, {}, 'hint'), (err: unknown) => err instanceof UsageError && message.test(err.message) && err.hint === 'hint')
    refuses(join(dir, 'missing.json'), /cannot read the config file .*missing\.json: it does not exist/)
    refuses(file('{"port": 4100,}'), /is not valid JSON/)
    refuses(file('[1, 2]'), /must hold a JSON object of options/)
    refuses(file('{"prot": 4100}'), /unknown option "prot"; it may set "port", "data-dir", "allow-private-network"/)
    refuses(file('{"__proto__": {"port": 1}}'), /unknown option "__proto__"/)
    refuses(file('{"toString": "x"}'), /unknown option "toString"/)
    refuses(file('{"port": {"value": 4100}}'), /gives "port" an object; it must be a string, a number or true\/false/)
    refuses(file('{"port": null}'), /gives "port" null/)
    refuses(file('{"port": 1e999}'), /gives "port" Infinity/)
  })
})
