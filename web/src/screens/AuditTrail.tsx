// Who changed what, and when.
import { useState } from 'react'
import { Empty, ErrorNote, ExpandableRow, formatTime, useLoad } from '../components/ui'
import { pretty } from '../editor/sample-events'
import { useSession } from '../session'

export default function AuditTrail() {
  const { api } = useSession()
  const { data, error } = useLoad(() => api.auditEvents())
  const [open, setOpen] = useState<string | undefined>(undefined)
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit trail</h1>
      <ErrorNote error={error} />
      {data?.length === 0 ? <Empty>Nothing has changed yet.</Empty> : null}
      {data && data.length > 0 ? (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">What</th>
              <th scope="col">Resource</th>
            </tr>
          </thead>
          <tbody>
            {data.map((e) => (
              <ExpandableRow
                key={e.id}
                label={formatTime(e.timestamp)}
                open={open === e.id}
                onToggle={() => setOpen(open === e.id ? undefined : e.id)}
                columns={4}
                detail={
                  <div className="row top">
                    <div className="grow">
                      <h4>Before</h4>
                      <pre>{pretty(e.before)}</pre>
                    </div>
                    <div className="grow">
                      <h4>After</h4>
                      <pre>{pretty(e.after)}</pre>
                    </div>
                  </div>
                }
              >
                <td>{e.actor}</td>
                <td>{e.type}</td>
                <td>
                  {e.resourceName} <span className="muted mono small-text">{e.resourceId}</span>
                </td>
              </ExpandableRow>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  )
}
