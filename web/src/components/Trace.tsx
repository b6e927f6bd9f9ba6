// What a function did while it ran: its console lines and its outgoing requests (test panel, delivery records).
import type { LogLine, RequestRecord } from '../api'
import { Badge } from './ui'

export function LogList({ logs }: { logs: LogLine[] }) {
  if (logs.length === 0) return <p className="muted">Nothing logged.</p>
  return (
    <ol className="logs">
      {logs.map((l, i) => (
        <li key={i} className={`log-${l.level}`}>
          <span className="muted">{l.level}</span> {l.message}
        </li>
      ))}
    </ol>
  )
}

export function RequestsTable({ requests }: { requests: RequestRecord[] }) {
  if (requests.length === 0) return <p className="muted">No outgoing requests.</p>
  return (
    <table className="table compact">
      <thead>
        <tr>
          <th scope="col">Method</th>
          <th scope="col">URL</th>
          <th scope="col">Status</th>
          <th scope="col">Duration</th>
        </tr>
      </thead>
      <tbody>
        {requests.map((r, i) => (
          <tr key={i}>
            <td>{r.method}</td>
            <td className="mono break">{r.url}</td>
            <td>{r.status ?? <Badge tone="bad">{r.error ?? 'no answer'}</Badge>}</td>
            <td>{r.durationMs.toFixed(0)} ms</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
