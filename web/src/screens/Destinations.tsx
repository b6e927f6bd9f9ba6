// Destinations: the list, and creating a webhook or a destination-function destination for a source.
import { useState, type FormEvent } from 'react'
import { Badge, Empty, ErrorNote, Field, useAction, useLoad } from '../components/ui'
import { Link, navigate } from '../router'
import { useSession } from '../session'

export default function Destinations() {
  const { api, can } = useSession()
  const { data, error } = useLoad(async () => {
    const [destinations, sources, fns] = await Promise.all([api.listDestinations(), api.listSources(), can('functions:read') ? api.listFunctions('DESTINATION') : Promise.resolve([])])
    return { destinations, sources, fns }
  })
  const [form, setForm] = useState({ name: '', sourceId: '', kind: 'webhook' as 'webhook' | 'function', url: '', functionId: '' })
  const create = useAction(async (e: FormEvent) => {
    e.preventDefault()
    const sourceId = form.sourceId || data?.sources[0]?.id
    if (sourceId === undefined) throw new Error('Create a source first: a destination receives the events of one source.')
    if (form.kind === 'webhook' && form.url.trim() === '') throw new Error('Give the URL the webhook should POST events to.')
    const functionId = form.functionId || data?.fns[0]?.id
    if (form.kind === 'function' && functionId === undefined) throw new Error('Create and deploy a destination function first.')
    const d = await api.createDestination({
      sourceId,
      metadataId: form.kind,
      name: form.name.trim() || (form.kind === 'webhook' ? 'Webhook' : 'Destination function'),
      settings: form.kind === 'webhook' ? { url: form.url.trim() } : { functionId, settings: {} },
    })
    navigate(`/destinations/${d.id}`)
  })
  const sourceName = (id: string) => data?.sources.find((s) => s.id === id)?.name ?? id
  return (
    <section aria-labelledby="destinations-title">
      <h1 id="destinations-title">Destinations</h1>
      {can('sources:write') && data !== undefined ? (
        <form className="card" onSubmit={(e) => void create.run(e)} aria-label="Create a destination">
          <h2>New destination</h2>
          <div className="row wrap">
            <Field label="Name">
              <input value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} placeholder="Orders webhook" />
            </Field>
            <Field label="Source">
              <select value={form.sourceId} onChange={(e) => setForm({ ...form, sourceId: e.target.value })}>
                {data.sources.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.name || s.slug}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Kind">
              <select value={form.kind} onChange={(e) => setForm({ ...form, kind: e.target.value as 'webhook' | 'function' })}>
                <option value="webhook">Webhook</option>
                <option value="function">Destination function</option>
              </select>
            </Field>
            {form.kind === 'webhook' ? (
              <Field label="Webhook URL">
                <input type="url" value={form.url} onChange={(e) => setForm({ ...form, url: e.target.value })} placeholder="https://example.com/hook" className="wide" />
              </Field>
            ) : (
              <Field label="Function">
                <select value={form.functionId} onChange={(e) => setForm({ ...form, functionId: e.target.value })}>
                  {data.fns.map((f) => (
                    <option key={f.id} value={f.id}>
                      {f.displayName}
                    </option>
                  ))}
                </select>
              </Field>
            )}
            <button type="submit" className="primary" disabled={create.busy}>
              Create destination
            </button>
          </div>
          <ErrorNote error={create.error} />
        </form>
      ) : null}
      <ErrorNote error={error} />
      {data?.destinations.length === 0 ? <Empty>No destinations yet.</Empty> : null}
      {data && data.destinations.length > 0 ? (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Source</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {data.destinations.map((d) => (
              <tr key={d.id}>
                <td>
                  <Link href={`/destinations/${d.id}`} className="strong">
                    {d.name}
                  </Link>
                </td>
                <td>{d.metadata.name}</td>
                <td>{sourceName(d.sourceId)}</td>
                <td>{d.enabled ? <Badge tone="ok">enabled</Badge> : <Badge tone="muted">disabled</Badge>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  )
}
