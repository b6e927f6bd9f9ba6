// The settings a function declares: label, name, type, required, secret.
import type { FunctionSetting, SettingType } from '../api'
import { Select } from './ui'

const TYPES: { value: SettingType; label: string }[] = [
  { value: 'STRING', label: 'Text' },
  { value: 'BOOLEAN', label: 'Yes/no' },
  { value: 'ARRAY', label: 'List of text' },
  { value: 'TEXT_MAP', label: 'Map of text' },
]

/** A label turned into a setting name the API accepts: letters, digits and _, camelCase. */
export function nameFromLabel(label: string): string {
  const words = label.replace(/[^A-Za-z0-9 ]/g, ' ').trim().split(/\s+/).filter(Boolean)
  const name = words.map((w, i) => (i === 0 ? w.toLowerCase() : w[0]!.toUpperCase() + w.slice(1).toLowerCase())).join('')
  return /^[0-9]/.test(name) ? `_${name}` : name
}

export function SettingsSchemaEditor({ settings, onChange, readOnly }: { settings: FunctionSetting[]; onChange: (s: FunctionSetting[]) => void; readOnly: boolean }) {
  const update = (i: number, patch: Partial<FunctionSetting>) => onChange(settings.map((s, j) => (j === i ? { ...s, ...patch } : s)))
  return (
    <fieldset className="schema-editor" disabled={readOnly}>
      <legend>Settings</legend>
      {settings.length === 0 ? <p className="muted">No settings. Add one for each value users fill in when they connect the function (an API key, a list of fields…).</p> : null}
      {settings.map((s, i) => (
        <div className="schema-row" key={i} role="group" aria-label={`Setting ${i + 1}`}>
          <label className="field">
            <span className="field-label">Label</span>
            <input
              value={s.label}
              onChange={(e) => {
                const label = e.target.value
                // The name follows the label until the user edits the name itself.
                update(i, { label, ...(s.name === '' || s.name === nameFromLabel(s.label) ? { name: nameFromLabel(label) } : {}) })
              }}
            />
          </label>
          <label className="field">
            <span className="field-label">Name</span>
            <input value={s.name} onChange={(e) => update(i, { name: e.target.value })} className="mono" />
          </label>
          <label className="field">
            <span className="field-label">Type</span>
            <Select value={s.type} options={TYPES} onChange={(type) => update(i, { type })} />
          </label>
          <label className="check">
            <input type="checkbox" checked={s.required} onChange={(e) => update(i, { required: e.target.checked })} /> Required
          </label>
          <label className="check">
            <input type="checkbox" checked={s.sensitive} onChange={(e) => update(i, { sensitive: e.target.checked })} /> Secret
          </label>
          <label className="field grow">
            <span className="field-label">Description</span>
            <input value={s.description} onChange={(e) => update(i, { description: e.target.value })} />
          </label>
          <button type="button" className="small" onClick={() => onChange(settings.filter((_, j) => j !== i))} aria-label={`Remove setting ${s.label || i + 1}`}>
            Remove
          </button>
        </div>
      ))}
      <button type="button" onClick={() => onChange([...settings, { name: '', label: '', description: '', type: 'STRING', required: false, sensitive: false }])}>
        Add setting
      </button>
    </fieldset>
  )
}
