// Runs the code in the editor on a sample event (or the user's own JSON) with test settings, and shows
// everything that happened: outcome, the returned event as a diff, the error, logs and requests.
import { forwardRef, useImperativeHandle, useState } from 'react'
import type { FunctionSetting, InvocationResult, ResourceType } from '../api'
import { SettingsForm, settingsToSend, type SettingValues } from '../components/SettingsForm'
import { LogList, RequestsTable } from '../components/Trace'
import { Badge, ErrorNote, useAction } from '../components/ui'
import { CodeEditor } from '../editor/CodeEditor'
import { DiffView } from '../editor/DiffView'
import { SAMPLE_EVENTS, pretty } from '../editor/sample-events'
import { useSession } from '../session'

export interface TestPanelHandle {
  run(): void
}

const OUTCOME: Record<InvocationResult['outcome'], { tone: 'ok' | 'warn' | 'bad' | 'info'; text: string }> = {
  forwarded: { tone: 'ok', text: 'Returned an event: it goes on to the destination' },
  delivered: { tone: 'ok', text: 'Delivered' },
  dropped: { tone: 'warn', text: 'Dropped (filtered)' },
  error: { tone: 'bad', text: 'Error' },
}

export const TestPanel = forwardRef<TestPanelHandle, { code: string; resourceType: ResourceType; schema: FunctionSetting[]; canRun: boolean }>(function TestPanel({ code, resourceType, schema, canRun }, ref) {
  const { api } = useSession()
  const [type, setType] = useState('track')
  const [eventText, setEventText] = useState(pretty(SAMPLE_EVENTS.track))
  const [settings, setSettings] = useState<SettingValues>({})
  const [result, setResult] = useState<{ input: Record<string, unknown>; output: InvocationResult } | undefined>(undefined)
  const [inputError, setInputError] = useState<string | undefined>(undefined)
  const action = useAction(async () => {
    let event: unknown
    try {
      event = JSON.parse(eventText)
    } catch (err) {
      setInputError(`The test event is not valid JSON: ${(err as Error).message}`)
      return
    }
    if (typeof event !== 'object' || event === null || Array.isArray(event)) {
      setInputError('The test event must be a JSON object, like the samples.')
      return
    }
    setInputError(undefined)
    const input = event as Record<string, unknown>
    const output = await api.preview(code, resourceType, input, settingsToSend(schema, settings))
    setResult({ input, output })
  })
  useImperativeHandle(ref, () => ({ run: () => void action.run() }))

  return (
    <section className="test-panel" aria-labelledby="test-title">
      <h2 id="test-title">Test</h2>
      <div className="row">
        <label className="field">
          <span className="field-label">Sample event</span>
          <select
            value={type}
            onChange={(e) => {
              setType(e.target.value)
              if (e.target.value !== 'custom') setEventText(pretty(SAMPLE_EVENTS[e.target.value]))
            }}
          >
            {Object.keys(SAMPLE_EVENTS).map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
            <option value="custom">my own JSON</option>
          </select>
        </label>
      </div>
      <CodeEditor
        value={eventText}
        onChange={(v) => {
          setEventText(v)
          if (type !== 'custom' && v !== pretty(SAMPLE_EVENTS[type])) setType('custom')
        }}
        language="json"
        label="Test event (JSON)"
        minHeight="8rem"
      />
      <details className="test-settings" open={schema.length > 0}>
        <summary>Test values for the settings</summary>
        <SettingsForm schema={schema} values={settings} onChange={setSettings} idPrefix="test-setting" />
      </details>
      <div className="row">
        <button type="button" className="primary" onClick={() => void action.run()} disabled={action.busy || !canRun} aria-keyshortcuts="Control+Enter">
          {action.busy ? 'Running…' : 'Run test'}
        </button>
        <span className="muted small-text">Ctrl/⌘ + Enter in the editor</span>
      </div>
      {canRun ? null : <p className="muted">Running code takes the right to write functions, which this token lacks.</p>}
      <ErrorNote error={inputError ?? action.error} />
      {result === undefined ? null : <TestResult input={result.input} output={result.output} />}
    </section>
  )
})

function TestResult({ input, output }: { input: Record<string, unknown>; output: InvocationResult }) {
  const o = OUTCOME[output.outcome]
  return (
    <div className="test-result" aria-live="polite" aria-label="Test result">
      <p>
        <Badge tone={o.tone}>{o.text}</Badge> <span className="muted">in {output.durationMs.toFixed(1)} ms</span>
      </p>
      {output.error ? (
        <div className="error-box">
          <p>
            <strong>{output.error.name}</strong> <Badge tone="bad">{output.error.category}</Badge> {output.error.retryable ? <Badge tone="warn">would be retried</Badge> : null}
          </p>
          <p>{output.error.message}</p>
          {output.error.stack ? <pre className="stack">{output.error.stack}</pre> : null}
        </div>
      ) : null}
      {output.drop ? <p>{output.drop.by === 'DropEvent' ? `DropEvent thrown${output.drop.message ? `: ${output.drop.message}` : ''}` : 'The handler returned nothing, so the event is dropped.'}</p> : null}
      {output.event ? (
        <>
          <h3>Returned event (input left, output right)</h3>
          <DiffView before={pretty(input)} after={pretty(output.event)} label="Returned event compared with the input" />
        </>
      ) : null}
      {output.value !== undefined ? (
        <>
          <h3>Returned value</h3>
          <pre>{pretty(output.value)}</pre>
        </>
      ) : null}
      <h3>Console ({output.logs.length})</h3>
      <LogList logs={output.logs} />
      <h3>Requests ({output.requests.length})</h3>
      <RequestsTable requests={output.requests} />
    </div>
  )
}
