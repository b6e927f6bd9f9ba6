// The insert function of a destination: connect a deployed one with a settings form made from its schema,
// change settings (secrets stay masked), and turn it on or off after a confirmation.
import { useState } from 'react'
import type { Destination, FunctionDetail, Instance } from '../api'
import { SettingsForm, settingsToSend, type SettingValues } from '../components/SettingsForm'
import { Badge, ConfirmDialog, ErrorNote, Field, Select, useAction, useLoad } from '../components/ui'
import { Link } from '../router'
import { useSession } from '../session'

export function ConnectPanel({ destination }: { destination: Destination }) {
  const { api, can } = useSession()
  const canConnect = can('functions:write', 'sources:write')
  const { data, error, reload } = useLoad(async () => {
    const summaries = await api.listFunctions('INSERT_DESTINATION')
    const fns = await Promise.all(summaries.map((f) => api.getFunction(f.id)))
    const instances = (await Promise.all(fns.map((f) => api.listInstances(f.id)))).flat()
    const instance = instances.find((i) => i.integrationId === destination.id)
    return { deployed: fns.filter((f) => f.deployedAt !== null), instance, fn: fns.find((f) => f.id === instance?.classId) }
  }, [destination.id])

  return (
    <section aria-labelledby="connect-title" className="card">
      <h2 id="connect-title">Insert function</h2>
      <ErrorNote error={error} />
      {data === undefined ? null : data.instance !== undefined && data.fn !== undefined ? (
        <Connected instance={data.instance} fn={data.fn} canEdit={canConnect} onChange={reload} />
      ) : canConnect ? (
        <Connect destination={destination} deployed={data.deployed} onConnected={reload} />
      ) : (
        <p className="muted">No insert function. Connecting one takes the rights to write functions and sources.</p>
      )}
    </section>
  )
}

function Connect({ destination, deployed, onConnected }: { destination: Destination; deployed: FunctionDetail[]; onConnected: () => void }) {
  const { api } = useSession()
  const [functionId, setFunctionId] = useState(deployed[0]?.id ?? '')
  const [values, setValues] = useState<SettingValues>({})
  const [enabled, setEnabled] = useState(true)
  const [confirming, setConfirming] = useState(false)
  const fn = deployed.find((f) => f.id === functionId)
  const connect = useAction(async () => {
    await api.createInstance({ functionId, integrationId: destination.id, name: `${fn!.displayName} → ${destination.name}`, enabled, settings: settingsToSend(fn!.settings, values) })
    onConnected()
  })
  if (deployed.length === 0) {
    return (
      <p className="muted">
        No deployed insert function yet. <Link href="/functions/new">Create one</Link>, then Save &amp; Deploy it.
      </p>
    )
  }
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault()
        if (enabled) setConfirming(true)
        else void connect.run()
      }}
      aria-label="Connect an insert function"
    >
      <Field label="Function">
        <Select value={functionId} options={deployed.map((f) => ({ value: f.id, label: f.displayName }))} onChange={(id) => (setFunctionId(id), setValues({}))} />
      </Field>
      {fn ? <SettingsForm schema={fn.settings} values={values} onChange={setValues} idPrefix="connect-setting" /> : null}
      <label className="check">
        <input type="checkbox" role="switch" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Enable: run it on this destination's events
      </label>
      <ErrorNote error={connect.error} />
      <button type="submit" className="primary" disabled={connect.busy}>
        Connect
      </button>
      {confirming ? (
        <ConfirmDialog title="Connect and enable?" confirm="Connect and enable" onCancel={() => setConfirming(false)} onConfirm={() => (setConfirming(false), void connect.run())}>
          <p>
            From now on every event for <strong>{destination.name}</strong> goes through <strong>{fn?.displayName}</strong>.
          </p>
        </ConfirmDialog>
      ) : null}
    </form>
  )
}

function Connected({ instance, fn, canEdit, onChange }: { instance: Instance; fn: FunctionDetail; canEdit: boolean; onChange: () => void }) {
  const { api } = useSession()
  const [values, setValues] = useState<SettingValues>(() => ({ ...instance.settings }))
  const [toggling, setToggling] = useState(false)
  const save = useAction(async (patch: { enabled?: boolean }) => {
    await api.updateInstance(instance.id, { ...patch, settings: settingsToSend(fn.settings, values) })
    onChange()
  })
  return (
    <div>
      <p>
        <Link href={`/functions/${fn.id}`} className="strong">
          {fn.displayName}
        </Link>{' '}
        {instance.enabled ? <Badge tone="ok">enabled</Badge> : <Badge tone="muted">disabled</Badge>}
      </p>
      <SettingsForm schema={fn.settings} values={values} onChange={setValues} masked={instance.encryptedSettings} idPrefix="instance-setting" />
      <ErrorNote error={save.error} />
      {canEdit ? (
        <div className="row">
          <button type="button" onClick={() => void save.run({})} disabled={save.busy}>
            Save settings
          </button>
          <button type="button" className={instance.enabled ? '' : 'primary'} onClick={() => setToggling(true)} disabled={save.busy}>
            {instance.enabled ? 'Disable' : 'Enable'}
          </button>
        </div>
      ) : null}
      {toggling ? (
        <ConfirmDialog
          title={instance.enabled ? 'Disable the function?' : 'Enable the function?'}
          confirm={instance.enabled ? 'Disable' : 'Enable'}
          onCancel={() => setToggling(false)}
          onConfirm={() => (setToggling(false), void save.run({ enabled: !instance.enabled }))}
        >
          <p>{instance.enabled ? 'Events will reach the destination without passing through the function.' : 'Every event for this destination will go through the function.'}</p>
        </ConfirmDialog>
      ) : null}
    </div>
  )
}
