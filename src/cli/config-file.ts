// Options from a JSON file: the third source, after flags and the environment (design section 6). The file
// is keyed by flag name ({"port": 4000, "data-dir": "/var/lib/insertfn"}); each entry becomes the
// environment variable its flag reads, under the real environment, so the order flag, environment, file,
// default comes from one merge and every option is read and checked in one place as before.
import { readFileSync } from 'node:fs'
import { UsageError } from './usage-error.js'

/** Flag name -> the environment variable that flag falls back to. */
export type EnvOfFlag = Readonly<Record<string, string>>

/**
 * The environment with the config file's options under it. `file` is --config or INSERTFN_CONFIG; without
 * one the environment is returned as it is.
 */
export function withConfigFile(file: string | undefined, envOf: EnvOfFlag, env: NodeJS.ProcessEnv, hint: string): NodeJS.ProcessEnv {
  if (file === undefined || file === '') return env
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new UsageError(`cannot read the config file ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (err as Error).message}`, hint)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new UsageError(`the config file ${file} is not valid JSON: ${(err as Error).message}`, hint)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`the config file ${file} must hold a JSON object of options, such as {"port": 4000, "data-dir": "./data"}`, hint)
  }
  const fromFile: Record<string, string> = {}
  for (const [key, value] of Object.entries(parsed)) {
    // Own keys only: "toString" or "__proto__" must not find something on the prototype.
    const name = Object.hasOwn(envOf, key) ? envOf[key] : undefined
    if (name === undefined) {
      throw new UsageError(`the config file ${file} has an unknown option "${key}"; it may set ${Object.keys(envOf).map((k) => `"${k}"`).join(', ')}`, hint)
    }
    if (typeof value === 'boolean') fromFile[name] = value ? '1' : '0'
    else if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) fromFile[name] = String(value)
    else {
      const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'number' ? String(value) : 'an object'
      throw new UsageError(`the config file ${file} gives "${key}" ${what}; it must be a string, a number or true/false`, hint)
    }
  }
  return { ...fromFile, ...env }
}
