// Destination filters: FQL checked as you type and tried on a sample event; matching events are dropped.
import { useEffect, useState } from 'react'
import type { Destination } from '../api'
import { Badge, ErrorNote, Field, describe, useAction, useLoad } from '../components/ui'
import { SAMPLE_EVENTS } from '../editor/sample-events'
import { useSession } from '../session'

type Verdict = { state: 'idle' } | { state: 'checking' } | { state: 'error'; message: string } | { state: 'ok'; dropped: boolean }

export function FilterPanel({ destination }: { destination: Destination }) {
  const { api, can } = useSession()
  const { data: filters, error, reload } = useLoad(() => api.listFilters(destination.id), [destination.id])
  const [fql, setFql] = useState('')
  const [title, setTitle] = useState('')
  const [sample, setSample] = useState('track')
  const [verdict, setVerdict] = useState<Verdict>({ state: 'idle' })

  // Debounced: the server parses the FQL and applies it to the sample event.
  useEffect(() => {
    if (fql.trim() === '') return void setVerdict({ state: 'idle' })
    setVerdict({ state: 'checking' })
    const timer = setTimeout(() => {
      api.previewFilter(fql, SAMPLE_EVENTS[sample]!).then(
        (r) => setVerdict({ state: 'ok', dropped: r.result === null }),
        (err: unknown) => setVerdict({ state: 'error', message: describe(err) }),
      )
    }, 400)
    return () => clearTimeout(timer)
  }, [api, fql, sample])

  const add = useAction(async () => {
    await api.createFilter(destination.id, { sourceId: destination.sourceId, title: title.trim() || fql.slice(0, 64), if: fql, enabled: true })
    setFql('')
    setTitle('')
    reload()
  })

  return (
    <section aria-labelledby="filters-title" className="card">
      <h2 id="filters-title">Filters</h2>
      <p className="muted">Events matching a filter are dropped before the insert function runs.</p>
      <ErrorNote error={error} />
      {filters && filters.length > 0 ? (
        <ul className="filters">
          {filters.map((f) => (
            <li key={f.id}>
              {f.title === f.if ? null : <strong>{f.title} </strong>}
              <code>{f.if}</code> {f.enabled ? <Badge tone="ok">on</Badge> : <Badge tone="muted">off</Badge>}
            </li>
          ))}
        </ul>
      ) : null}
      {can('sources:write') ? (
        <form
          onSubmit={(e) => {
            e.preventDefault()
            void add.run()
          }}
          aria-label="Add a filter"
        >
          <Field label="Drop events where (FQL)">
            <input className="mono wide" value={fql} onChange={(e) => setFql(e.target.value)} placeholder={`type = "track" and properties.internal = true`} aria-describedby="fql-verdict" />
          </Field>
          <div className="row wrap">
            <Field label="Try it on a sample">
              <select value={sample} onChange={(e) => setSample(e.target.value)}>
                {Object.keys(SAMPLE_EVENTS).map((t) => (
                  <option key={t}>{t}</option>
                ))}
              </select>
            </Field>
            <Field label="Title">
              <input value={title} onChange={(e) => setTitle(e.target.value)} maxLength={64} />
            </Field>
          </div>
          <p id="fql-verdict" aria-live="polite" className="verdict">
            {verdict.state === 'checking' ? <span className="muted">Checking…</span> : null}
            {verdict.state === 'error' ? <span className="error-text">{verdict.message}</span> : null}
            {verdict.state === 'ok' ? verdict.dropped ? <Badge tone="warn">the sample {sample} event would be dropped</Badge> : <Badge tone="ok">the sample {sample} event would pass</Badge> : null}
          </p>
          <ErrorNote error={add.error} />
          <button type="submit" disabled={add.busy || verdict.state !== 'ok'}>
            Add filter
          </button>
        </form>
      ) : null}
    </section>
  )
}
