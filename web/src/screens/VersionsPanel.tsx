// A function's history: who saved each version and when, a diff between any two, and restore.
import { useState } from 'react'
import { Badge, ConfirmDialog, Empty, ErrorNote, formatTime, useAction, useLoad } from '../components/ui'
import { DiffView } from '../editor/DiffView'
import { useSession } from '../session'

export function VersionsPanel({ functionId, onRestored }: { functionId: string; onRestored: () => void }) {
  const { api, can } = useSession()
  const { data: versions, error, reload } = useLoad(() => api.versions(functionId), [functionId])
  const [a, setA] = useState<string | undefined>(undefined)
  const [b, setB] = useState<string | undefined>(undefined)
  const [restoring, setRestoring] = useState<string | undefined>(undefined)
  const restore = useAction(async (versionId: string) => {
    await api.restoreVersion(functionId, versionId)
    reload()
    onRestored()
  })
  if (versions === undefined) return <ErrorNote error={error} />
  if (versions.length === 0) return <Empty>No versions.</Empty>
  const label = (i: number) => `v${versions.length - i}`
  const left = versions.find((v) => v.id === a) ?? versions[1] ?? versions[0]!
  const right = versions.find((v) => v.id === b) ?? versions[0]!
  const pick = (value: string | undefined, set: (v: string) => void, name: string) => (
    <label className="field">
      <span className="field-label">{name}</span>
      <select value={value} onChange={(e) => set(e.target.value)}>
        {versions.map((v, i) => (
          <option key={v.id} value={v.id}>
            {label(i)} · {v.author} · {formatTime(v.createdAt)}
          </option>
        ))}
      </select>
    </label>
  )
  return (
    <section aria-labelledby="versions-title">
      <h2 id="versions-title">Versions</h2>
      <table className="table compact">
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Author</th>
            <th scope="col">Saved</th>
            <th scope="col">Labels</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {versions.map((v, i) => (
            <tr key={v.id}>
              <td className="mono">{label(i)}</td>
              <td>{v.author}</td>
              <td>{formatTime(v.createdAt)}</td>
              <td>
                {i === 0 ? <Badge tone="info">LATEST</Badge> : null} {v.isDeployed ? <Badge tone="ok">DEPLOYED</Badge> : null}
              </td>
              <td>
                {i > 0 && can('functions:write') ? (
                  <button type="button" className="small" onClick={() => setRestoring(v.id)}>
                    Restore {label(i)}
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorNote error={restore.error} />
      <div className="row">
        {pick(left.id, setA, 'Compare')}
        {pick(right.id, setB, 'with')}
      </div>
      <DiffView before={left.code} after={right.code} label="Code difference between the chosen versions" />
      {restoring === undefined ? null : (
        <ConfirmDialog
          title="Restore this version?"
          confirm="Restore"
          onCancel={() => setRestoring(undefined)}
          onConfirm={() => {
            void restore.run(restoring)
            setRestoring(undefined)
          }}
        >
          <p>Its code becomes a new LATEST version. Nothing changes for running destinations until you deploy.</p>
        </ConfirmDialog>
      )}
    </section>
  )
}
