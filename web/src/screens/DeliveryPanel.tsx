// Event delivery for one destination: the chart over a chosen range, totals, recent events (failures by
// default; filtered or delivered on request) that open to their event, what the destination was sent,
// the error, logs and requests, and Replay. Refreshes every few seconds while open.
import { useEffect, useState } from 'react'
import type { DeliveryRecord } from '../api'
import { DeliveryChart } from '../components/DeliveryChart'
import { Badge, ConfirmDialog, Empty, ErrorNote, ExpandableRow, formatTime, InlineSelect, useAction, useLoad } from '../components/ui'
import { pretty } from '../editor/sample-events'
import { useSession } from '../session'
import { LogList, RequestsTable } from '../components/Trace'

/** Which recent events the table lists: failures (failed and retrying), or one other outcome. */
const VIEWS = [
  { value: 'failures', label: 'Failures' },
  { value: 'filtered', label: 'Filtered' },
  { value: 'delivered', label: 'Delivered' },
] as const
type View = (typeof VIEWS)[number]['value']

const RANGES = [
  { value: 15, label: 'Last 15 minutes' },
  { value: 60, label: 'Last hour' },
  { value: 24 * 60, label: 'Last 24 hours' },
]

export function DeliveryPanel({ destinationId }: { destinationId: string }) {
  const { api, can } = useSession()
  const [minutes, setMinutes] = useState(15)
  const [view, setView] = useState<View>('failures')
  const [open, setOpen] = useState<string | undefined>(undefined)
  const [confirmReplay, setConfirmReplay] = useState(false)
  const [replayed, setReplayed] = useState<number | undefined>(undefined)
  const { data, error, reload } = useLoad(async () => {
    const to = new Date()
    const from = new Date(to.getTime() - minutes * 60_000)
    const statuses = view === 'failures' ? ['failed', 'retrying'] : [view]
    const [metrics, lists] = await Promise.all([api.deliveryMetrics(destinationId, from.toISOString()), Promise.all(statuses.map((status) => api.deliveryEvents(destinationId, status)))])
    const records = lists.flat().sort((a, b) => b.at.localeCompare(a.at)).slice(0, 50)
    return { metrics, records, from, to }
  }, [destinationId, minutes, view])
  useEffect(() => {
    const timer = setInterval(reload, 3000)
    return () => clearInterval(timer)
  }, [])
  const replay = useAction(async (messageId?: string) => {
    setReplayed(await api.replay(destinationId, messageId === undefined ? undefined : { messageId }))
    reload()
  })

  const totals = data?.metrics.totals ?? {}
  return (
    <section aria-labelledby="delivery-title" className="card">
      <div className="row between wrap">
        <h2 id="delivery-title">Event delivery</h2>
        <div className="row">
          <InlineSelect label="Range" value={minutes} options={RANGES} onChange={setMinutes} />
          {can('sources:write') ? (
            <button type="button" onClick={() => setConfirmReplay(true)} disabled={replay.busy}>
              Replay failed events
            </button>
          ) : null}
        </div>
      </div>
      <ErrorNote error={error ?? replay.error} />
      {replayed === undefined ? null : (
        <p className="notice" role="status">
          {replayed === 0 ? 'There were no failed events to replay.' : `${replayed} failed event${replayed === 1 ? ' was' : 's were'} queued again.`}
        </p>
      )}
      <dl className="totals" aria-label="Totals for the range">
        {(['delivered', 'filtered', 'retrying', 'failed'] as const).map((s) => (
          <div key={s} className={`total total-${s}`}>
            <dt>{s[0]!.toUpperCase() + s.slice(1)}</dt>
            <dd data-testid={`total-${s}`}>{totals[s] ?? 0}</dd>
          </div>
        ))}
      </dl>
      {data ? <DeliveryChart metrics={data.metrics} from={data.from} to={data.to} /> : <p className="muted">Loading…</p>}
      {data && Object.keys(data.metrics.byDetail).length > 0 ? (
        <p className="muted small-text">
          {Object.entries(data.metrics.byDetail)
            .flatMap(([status, details]) => Object.entries(details).map(([d, n]) => `${status} by ${d}: ${n}`))
            .join(' · ')}
        </p>
      ) : null}
      <div className="row between wrap">
        <h3>Recent {VIEWS.find((v) => v.value === view)!.label.toLowerCase()}</h3>
        <InlineSelect label="Show" value={view} options={VIEWS} onChange={(v) => (setView(v), setOpen(undefined))} />
      </div>
      {data?.records.length === 0 ? <Empty>{view === 'failures' ? 'No failed or retrying events.' : `No ${view} events kept.`}</Empty> : null}
      {data && data.records.length > 0 ? (
        <table className="table compact records">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Status</th>
              <th scope="col">Detail</th>
              <th scope="col">Reason</th>
              <th scope="col">Attempt</th>
            </tr>
          </thead>
          <tbody>
            {data.records.map((r) => (
              <ExpandableRow key={r.id} label={formatTime(r.at)} open={open === r.id} onToggle={() => setOpen(open === r.id ? undefined : r.id)} columns={5} detail={<RecordDetail record={r} onReplay={r.status === 'failed' && can('sources:write') ? () => void replay.run(r.messageId) : undefined} busy={replay.busy} />}>
                <td>
                  <Badge tone={STATUS_TONE[r.status]}>{r.status}</Badge>
                </td>
                <td>{r.detail}</td>
                <td className="break">{r.reason}</td>
                <td>{r.attempt}</td>
              </ExpandableRow>
            ))}
          </tbody>
        </table>
      ) : null}
      {confirmReplay ? (
        <ConfirmDialog title="Replay failed events?" confirm="Replay" onCancel={() => setConfirmReplay(false)} onConfirm={() => (setConfirmReplay(false), void replay.run())}>
          <p>Every failed event of this destination goes back to the queue and is delivered again through the current function and filters.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  )
}

const STATUS_TONE = { delivered: 'ok', filtered: 'muted', retrying: 'warn', failed: 'bad' } as const

function RecordDetail({ record, onReplay, busy }: { record: DeliveryRecord; onReplay: (() => void) | undefined; busy: boolean }) {
  const why = record.reason ?? record.detail
  return (
    <div className="record-detail">
      <p>
        {why === '' ? null : (
          <>
            <strong>{record.status === 'filtered' ? 'Filtered:' : record.status === 'delivered' ? 'Delivered:' : 'Error:'}</strong> {why}{' '}
          </>
        )}
        <span className="muted">(message {record.messageId})</span>
      </p>
      {onReplay === undefined ? null : (
        <button type="button" onClick={onReplay} disabled={busy}>
          Replay this event
        </button>
      )}
      <h4>Event</h4>
      <pre>{pretty(record.event)}</pre>
      {record.sent === null ? null : (
        <>
          <h4>Sent to the destination</h4>
          <pre>{pretty(record.sent)}</pre>
        </>
      )}
      <h4>Logs</h4>
      <LogList logs={record.trace?.logs ?? []} />
      <h4>Requests</h4>
      <RequestsTable requests={record.trace?.requests ?? []} />
    </div>
  )
}
