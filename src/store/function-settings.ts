// Settings values checked against a function's settings schema: required ones present, each of its
// declared type, no unknown names; sensitive values are split off to be sealed.
import type { FunctionSetting } from './function-store.js'
import { InvalidInputError } from './invalid-input.js'

function typeProblem(setting: FunctionSetting, value: unknown): string | undefined {
  switch (setting.type) {
    case 'STRING':
      return typeof value === 'string' ? undefined : 'a string'
    case 'BOOLEAN':
      return typeof value === 'boolean' ? undefined : 'true or false'
    case 'ARRAY':
      return Array.isArray(value) && value.every((v) => typeof v === 'string') ? undefined : 'an array of strings'
    case 'TEXT_MAP':
      return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string')
        ? undefined
        : 'an object of string values'
  }
}

export interface SplitSettings {
  plain: Record<string, unknown>
  secret: Record<string, unknown>
}

/**
 * Checks `values` against `schema`. `keep` holds sealed secrets already stored: a sensitive setting left
 * out of an update keeps its value, so a client that only ever sees masked values can still save.
 */
export function checkSettings(schema: FunctionSetting[], values: Record<string, unknown>, field = 'settings', keep: Record<string, string> = {}): SplitSettings & { kept: Record<string, string> } {
  const byName = new Map(schema.map((s) => [s.name, s]))
  const unknown = Object.keys(values).filter((k) => !byName.has(k))
  if (unknown.length > 0) {
    throw new InvalidInputError(`${field}.${unknown[0]}`, `unknown setting ${unknown.join(', ')}; the function declares ${schema.map((s) => s.name).join(', ') || 'no settings'}`)
  }
  const plain: Record<string, unknown> = {}
  const secret: Record<string, unknown> = {}
  const kept: Record<string, string> = {}
  for (const setting of schema) {
    const value = values[setting.name]
    if (value === undefined || value === null) {
      if (setting.sensitive && keep[setting.name] !== undefined) kept[setting.name] = keep[setting.name]!
      else if (setting.required) throw new InvalidInputError(`${field}.${setting.name}`, `setting ${setting.name} (${setting.label}) is required`)
      continue
    }
    const expected = typeProblem(setting, value)
    if (expected !== undefined) throw new InvalidInputError(`${field}.${setting.name}`, `setting ${setting.name} must be ${expected}`)
    if (setting.sensitive) secret[setting.name] = value
    else plain[setting.name] = value
  }
  return { plain, secret, kept }
}
