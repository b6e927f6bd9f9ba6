// One destination: its settings and state, its insert function, filters, and event delivery.
import { useState } from 'react'
import { Badge, ConfirmDialog, ErrorNote, useAction, useLoad } from '../components/ui'
import { useSession } from '../session'
import { ConnectPanel } from './ConnectPanel'
import { DeliveryPanel } from './DeliveryPanel'
import { FilterPanel } from './FilterPanel'

export default function DestinationDetail({ destinationId }: { destinationId: string }) {
  const { api, can } = useSession()
  const { data: d, error, reload } = useLoad(() => api.getDestination(destinationId), [destinationId])
  const [toggling, setToggling] = useState(false)
  const toggle = useAction(async () => {
    await api.updateDestination(destinationId, { enabled: !d!.enabled })
    reload()
  })
  if (d === undefined) return error === undefined ? <p className="muted">Loading…</p> : <ErrorNote error={error} />
  return (
    <section aria-labelledby="destination-title">
      <div className="row between wrap">
        <div>
          <h1 id="destination-title">{d.name}</h1>
          <p className="muted">
            {d.metadata.name}
            {typeof d.settings.url === 'string' ? <> · <span className="mono">{d.settings.url}</span></> : null} · {d.enabled ? <Badge tone="ok">enabled</Badge> : <Badge tone="muted">disabled</Badge>}
          </p>
        </div>
        {can('sources:write') ? (
          <button type="button" onClick={() => setToggling(true)}>
            {d.enabled ? 'Disable destination' : 'Enable destination'}
          </button>
        ) : null}
      </div>
      <ErrorNote error={toggle.error} />
      <div className="destination-grid">
        <div className="stack">
          {can('functions:read') ? <ConnectPanel destination={d} /> : null}
          <FilterPanel destination={d} />
        </div>
        <DeliveryPanel destinationId={d.id} />
      </div>
      {toggling ? (
        <ConfirmDialog title={d.enabled ? 'Disable this destination?' : 'Enable this destination?'} confirm={d.enabled ? 'Disable' : 'Enable'} onCancel={() => setToggling(false)} onConfirm={() => (setToggling(false), void toggle.run())}>
          <p>{d.enabled ? 'New events will not be sent to it until you enable it again.' : 'New events from its source will be sent to it.'}</p>
        </ConfirmDialog>
      ) : null}
    </section>
  )
}
