// A form generated from a function's settings schema. Secrets are password fields; a secret already saved
// shows its mask as a placeholder and stays as it is unless a new value is typed.
import type { FunctionSetting } from '../api'

export type SettingValues = Record<string, unknown>

function toText(type: FunctionSetting['type'], v: unknown): string {
  if (v === undefined || v === null) return ''
  if (type === 'ARRAY' && Array.isArray(v)) return v.join('\n')
  if (type === 'TEXT_MAP' && typeof v === 'object') return Object.entries(v as Record<string, unknown>).map(([k, x]) => `${k}=${String(x)}`).join('\n')
  return String(v)
}

function fromText(type: FunctionSetting['type'], text: string): unknown {
  if (type === 'ARRAY') return text.split('\n').map((s) => s.trim()).filter(Boolean)
  if (type === 'TEXT_MAP') {
    const map: Record<string, string> = {}
    for (const line of text.split('\n')) {
      const i = line.indexOf('=')
      if (i > 0) map[line.slice(0, i).trim()] = line.slice(i + 1).trim()
    }
    return map
  }
  return text
}

/** Drops empty optional values, and untouched secrets (so the server keeps what it stored). */
export function settingsToSend(schema: FunctionSetting[], values: SettingValues): SettingValues {
  const out: SettingValues = {}
  for (const s of schema) {
    const v = values[s.name]
    if (v === undefined || v === '' || (Array.isArray(v) && v.length === 0 && !s.required)) continue
    out[s.name] = v
  }
  return out
}

export function SettingsForm({ schema, values, onChange, masked = {}, idPrefix }: { schema: FunctionSetting[]; values: SettingValues; onChange: (v: SettingValues) => void; masked?: Record<string, unknown>; idPrefix: string }) {
  if (schema.length === 0) return <p className="muted">This function has no settings.</p>
  const set = (name: string, v: unknown) => onChange({ ...values, [name]: v })
  return (
    <div className="settings-form">
      {schema.map((s) => {
        const id = `${idPrefix}-${s.name}`
        const label = `${s.label}${s.required ? ' (required)' : ''}`
        const hint = s.description || undefined
        if (s.type === 'BOOLEAN') {
          return (
            <label key={s.name} className="check" htmlFor={id}>
              <input id={id} type="checkbox" checked={values[s.name] === true} onChange={(e) => set(s.name, e.target.checked)} /> {label}
            </label>
          )
        }
        const multiline = s.type === 'ARRAY' || s.type === 'TEXT_MAP'
        const mask = masked[s.name]
        return (
          <div key={s.name} className="field">
            <label className="field-label" htmlFor={id}>
              {label}
              {s.sensitive ? <span className="muted"> · secret</span> : null}
            </label>
            {multiline ? (
              <textarea id={id} rows={3} value={toText(s.type, values[s.name])} placeholder={s.type === 'ARRAY' ? 'one value a line' : 'key=value, one a line'} onChange={(e) => set(s.name, fromText(s.type, e.target.value))} />
            ) : (
              <input
                id={id}
                type={s.sensitive ? 'password' : 'text'}
                autoComplete={s.sensitive ? 'new-password' : 'off'}
                value={toText(s.type, values[s.name])}
                placeholder={typeof mask === 'string' ? `${mask} (saved; type to replace)` : ''}
                onChange={(e) => set(s.name, e.target.value)}
              />
            )}
            {hint ? <span className="field-hint">{hint}</span> : null}
          </div>
        )
      })}
    </div>
  )
}
