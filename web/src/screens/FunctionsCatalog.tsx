// Every function with its type, LATEST and DEPLOYED versions and the destinations it runs for.
import type { Destination, FunctionSummary, Instance, Version } from '../api'
import { Badge, Empty, ErrorNote, formatTime, useLoad } from '../components/ui'
import { Link } from '../router'
import { useSession } from '../session'

interface Row {
  fn: FunctionSummary
  /** Versions are numbered from the oldest, v1, as in the Versions tab. */
  latest: (Version & { n: number }) | undefined
  deployed: (Version & { n: number }) | undefined
  connected: { instance: Instance; destination: Destination | undefined }[]
}

export default function FunctionsCatalog() {
  const { api, can } = useSession()
  const { data, error } = useLoad(async (): Promise<Row[]> => {
    const [inserts, destinationFns, destinations] = await Promise.all([api.listFunctions('INSERT_DESTINATION'), api.listFunctions('DESTINATION'), can('sources:read') ? api.listDestinations() : Promise.resolve([])])
    return Promise.all(
      [...inserts, ...destinationFns].map(async (fn) => {
        const [versions, instances] = await Promise.all([api.versions(fn.id), fn.resourceType === 'INSERT_DESTINATION' ? api.listInstances(fn.id) : Promise.resolve([])])
        const numbered = versions.map((v, i) => ({ ...v, n: versions.length - i }))
        return {
          fn,
          latest: numbered[0],
          deployed: numbered.find((v) => v.isDeployed),
          connected: instances.map((instance) => ({ instance, destination: destinations.find((d) => d.id === instance.integrationId) })),
        }
      }),
    )
  })
  return (
    <section aria-labelledby="functions-title">
      <div className="row between">
        <h1 id="functions-title">Functions</h1>
        {can('functions:write') ? (
          <Link href="/functions/new" className="button primary">
            New function
          </Link>
        ) : null}
      </div>
      <ErrorNote error={error} />
      {data === undefined ? (
        error === undefined ? <p className="muted">Loading…</p> : null
      ) : data.length === 0 ? (
        <Empty>No functions yet. {can('functions:write') ? 'Create one from a template with “New function”.' : 'Your token may read functions but not create them.'}</Empty>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Type</th>
              <th scope="col">LATEST</th>
              <th scope="col">DEPLOYED</th>
              <th scope="col">Connected destinations</th>
            </tr>
          </thead>
          <tbody>
            {data.map(({ fn, latest, deployed, connected }) => (
              <tr key={fn.id}>
                <td>
                  <Link href={`/functions/${fn.id}`} className="strong">
                    {fn.logoUrl ? <img src={fn.logoUrl} alt="" className="fn-logo" /> : null}
                    {fn.displayName}
                  </Link>
                  {fn.description ? <div className="muted small-text">{fn.description}</div> : null}
                </td>
                <td>{fn.resourceType === 'INSERT_DESTINATION' ? <Badge tone="info">Insert</Badge> : <Badge tone="muted">Destination</Badge>}</td>
                <td>{latest ? <span title={`${latest.author}, ${formatTime(latest.createdAt)}`}>v{latest.n}</span> : '—'}</td>
                <td>
                  {deployed ? (
                    <span title={deployed.deployedAt ? formatTime(deployed.deployedAt) : ''}>
                      v{deployed.n} {deployed.id === latest?.id ? <Badge tone="ok">up to date</Badge> : <Badge tone="warn">behind LATEST</Badge>}
                    </span>
                  ) : (
                    <Badge tone="muted">not deployed</Badge>
                  )}
                </td>
                <td>
                  {connected.length === 0
                    ? '—'
                    : connected.map(({ instance, destination }) => (
                        <div key={instance.id}>
                          <Link href={`/destinations/${instance.integrationId}`}>{destination?.name ?? instance.integrationId}</Link> {instance.enabled ? <Badge tone="ok">enabled</Badge> : <Badge tone="muted">disabled</Badge>}
                        </div>
                      ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
