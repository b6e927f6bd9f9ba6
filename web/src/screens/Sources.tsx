// Sources: create one and copy its write key into ready-made snippets for curl, analytics-node and analytics.js.
import { useState, type FormEvent } from 'react'
import type { Source } from '../api'
import { CopyButton, Empty, ErrorNote, Field, useAction, useLoad } from '../components/ui'
import { useSession } from '../session'

function snippets(writeKey: string, origin: string): { title: string; code: string }[] {
  return [
    {
      title: 'curl',
      code: `curl ${origin}/v1/track \\\n  -u '${writeKey}:' \\\n  -H 'Content-Type: application/json' \\\n  -d '{"userId":"user-1","event":"Order Completed","properties":{"revenue":42}}'`,
    },
    {
      title: '@segment/analytics-node',
      code: `import { Analytics } from '@segment/analytics-node'\n\nconst analytics = new Analytics({ writeKey: '${writeKey}', host: '${origin}' })\nanalytics.track({ userId: 'user-1', event: 'Order Completed', properties: { revenue: 42 } })`,
    },
    {
      title: 'analytics.js (@segment/analytics-next)',
      code: `import { AnalyticsBrowser } from '@segment/analytics-next'\n\nexport const analytics = AnalyticsBrowser.load({\n  writeKey: '${writeKey}',\n  cdnSettings: { integrations: { 'Segment.io': { apiKey: '${writeKey}', apiHost: '${new URL(origin).host}/v1', protocol: '${new URL(origin).protocol.replace(':', '')}' } } },\n})\nanalytics.track('Order Completed', { revenue: 42 })`,
    },
  ]
}

function SourceCard({ source }: { source: Source }) {
  const key = source.writeKeys[0] ?? ''
  const [tab, setTab] = useState(0)
  const all = snippets(key, location.origin)
  const current = all[tab]!
  return (
    <article className="card" aria-label={`Source ${source.name || source.slug}`}>
      <h2>{source.name || source.slug}</h2>
      <p className="row">
        <span className="field-label">Write key</span> <code className="write-key">{key}</code> <CopyButton text={key} label={`Copy the write key of ${source.slug}`} />
      </p>
      <div role="tablist" aria-label={`Snippets for ${source.slug}`} className="tabs small-tabs">
        {all.map((s, i) => (
          <button key={s.title} type="button" role="tab" aria-selected={tab === i} onClick={() => setTab(i)}>
            {s.title}
          </button>
        ))}
      </div>
      <div className="snippet" role="tabpanel" aria-label={current.title}>
        <pre>{current.code}</pre>
        <CopyButton text={current.code} label={`Copy the ${current.title} snippet`} />
      </div>
    </article>
  )
}

export default function Sources() {
  const { api, can } = useSession()
  const { data, error, reload } = useLoad(() => api.listSources())
  const [name, setName] = useState('')
  const create = useAction(async (e: FormEvent) => {
    e.preventDefault()
    const slug = name.trim().toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')
    if (slug === '') throw new Error('Give the source a name with at least one letter or digit.')
    await api.createSource(slug, name.trim())
    setName('')
    reload()
  })
  return (
    <section aria-labelledby="sources-title">
      <h1 id="sources-title">Sources</h1>
      <p className="muted">A source is where events come from: any Segment library, sending to this server with the source's write key.</p>
      {can('sources:write') ? (
        <form className="row form-row card" onSubmit={(e) => void create.run(e)} aria-label="Create a source">
          <Field label="New source name">
            <input value={name} onChange={(e) => setName(e.target.value)} placeholder="Web shop" />
          </Field>
          <button type="submit" className="primary" disabled={create.busy}>
            Create source
          </button>
          <ErrorNote error={create.error} />
        </form>
      ) : null}
      <ErrorNote error={error} />
      {data?.length === 0 ? <Empty>No sources yet.</Empty> : null}
      <div className="cards">{data?.map((s) => <SourceCard key={s.id} source={s} />)}</div>
    </section>
  )
}
