// Create or edit a function: code with inline load errors and completion, a test panel, details and the
// settings schema, versions; Save, and Save & Deploy to chosen instances.
import type { Diagnostic } from '@codemirror/lint'
import { useEffect, useMemo, useRef, useState } from 'react'
import type { FunctionDetail, FunctionSetting, Instance, ResourceType } from '../api'
import { SettingsSchemaEditor } from '../components/SettingsSchemaEditor'
import { Badge, ConfirmDialog, ErrorNote, Field, useAction } from '../components/ui'
import { CodeEditor, loadErrorDiagnostic } from '../editor/CodeEditor'
import { RUNTIME_CATALOG } from '../editor/completions'
import { template } from '../editor/templates'
import { navigate } from '../router'
import { useSession } from '../session'
import { TestPanel, type TestPanelHandle } from './TestPanel'
import { VersionsPanel } from './VersionsPanel'

interface Draft {
  resourceType: ResourceType
  displayName: string
  description: string
  logoUrl: string
  code: string
  settings: FunctionSetting[]
}

const fromFunction = (f: FunctionDetail): Draft => ({ resourceType: f.resourceType, displayName: f.displayName, description: f.description, logoUrl: f.logoUrl ?? '', code: f.code, settings: f.settings })

type Tab = 'code' | 'details' | 'versions'

/** A message for the editor that opens next: creating a function moves to its own page, a new screen. */
let carriedNotice: string | undefined

export default function FunctionEditor({ functionId }: { functionId: string | undefined }) {
  const { api, can } = useSession()
  const [saved, setSaved] = useState<FunctionDetail | undefined>(undefined)
  const [draft, setDraft] = useState<Draft>({ resourceType: 'INSERT_DESTINATION', displayName: '', description: '', logoUrl: '', code: template('INSERT_DESTINATION'), settings: [] })
  const [loadError, setLoadError] = useState<unknown>(undefined)
  const [tab, setTab] = useState<Tab>('code')
  const [language, setLanguage] = useState<'javascript' | 'typescript'>('javascript')
  const [deploying, setDeploying] = useState<Instance[] | undefined>(undefined)
  const [notice, setNotice] = useState<string | undefined>(() => carriedNotice)
  useEffect(() => {
    carriedNotice = undefined
  }, [])
  const test = useRef<TestPanelHandle>(null)
  const canWrite = can('functions:write')

  const load = async (id: string) => {
    try {
      const f = await api.getFunction(id)
      setSaved(f)
      setDraft(fromFunction(f))
    } catch (err) {
      setLoadError(err)
    }
  }
  useEffect(() => {
    if (functionId !== undefined) void load(functionId)
  }, [functionId])

  const dirty = saved === undefined || JSON.stringify(fromFunction(saved)) !== JSON.stringify(draft)
  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }))

  /** The fields to send: on update only what changed, so metadata edits do not add versions. */
  const changes = () => {
    const body: Partial<Omit<Draft, 'resourceType'>> = {}
    const base = saved === undefined ? undefined : fromFunction(saved)
    if (base === undefined || base.displayName !== draft.displayName) body.displayName = draft.displayName
    if (base === undefined || base.description !== draft.description) body.description = draft.description
    if (draft.logoUrl !== '' && base?.logoUrl !== draft.logoUrl) body.logoUrl = draft.logoUrl
    if (base === undefined || base.code !== draft.code) body.code = draft.code
    if (base === undefined || JSON.stringify(base.settings) !== JSON.stringify(draft.settings)) body.settings = draft.settings
    return body
  }

  const save = useAction(async () => {
    if (draft.displayName.trim() === '') {
      setTab('details')
      throw new Error('Give the function a name (under Details & settings) before saving.')
    }
    if (saved === undefined) {
      const created = await api.createFunction({ resourceType: draft.resourceType, displayName: draft.displayName, description: draft.description, code: draft.code, settings: draft.settings, ...(draft.logoUrl === '' ? {} : { logoUrl: draft.logoUrl }) })
      carriedNotice = 'Created. Save & Deploy it, then connect it to a destination.'
      navigate(`/functions/${created.id}`)
      return created
    }
    const body = changes()
    const updated = Object.keys(body).length === 0 ? saved : await api.updateFunction(saved.id, body)
    setSaved(updated)
    setDraft(fromFunction(updated))
    setNotice('Saved.')
    return updated
  })

  const prepareDeploy = useAction(async () => {
    const current = await save.run()
    if (current === undefined) return
    setDeploying(current.resourceType === 'INSERT_DESTINATION' ? await api.listInstances(current.id) : [])
  })

  const deploy = useAction(async (instanceIds: string[] | undefined) => {
    await api.deployFunction(saved!.id, instanceIds)
    setNotice(instanceIds === undefined ? 'Deployed: LATEST is now DEPLOYED everywhere.' : `Deployed to ${instanceIds.length} of the connected destinations.`)
    await load(saved!.id)
  })

  const check = useMemo(
    () =>
      canWrite
        ? async (code: string): Promise<Diagnostic[]> => {
            try {
              const r = await api.checkCode(code, draft.resourceType)
              return r.loads || r.error === undefined ? [] : [loadErrorDiagnostic(code, r.error)]
            } catch {
              return [] // the check is a convenience; saving reports the same errors
            }
          }
        : undefined,
    [api, canWrite, draft.resourceType],
  )

  const keys = useMemo(
    () => [
      { key: 'Mod-Enter', run: () => (test.current?.run(), true), preventDefault: true },
      { key: 'Mod-s', run: () => (void save.run(), true), preventDefault: true },
    ],
    [draft, saved],
  )

  if (loadError !== undefined) return <ErrorNote error={loadError} />
  if (functionId !== undefined && saved === undefined) return <p className="muted">Loading…</p>

  const kind = draft.resourceType === 'INSERT_DESTINATION' ? 'Insert function' : 'Destination function'
  return (
    <section aria-labelledby="editor-title" className="editor-screen">
      <div className="row between wrap">
        <div>
          <h1 id="editor-title">{saved ? saved.displayName : 'New function'}</h1>
          <p className="muted">
            {kind}
            {saved ? (
              <>
                {' · '}
                {saved.deployedAt === null ? <Badge tone="muted">not deployed</Badge> : saved.isLatestVersion ? <Badge tone="ok">deployed</Badge> : <Badge tone="warn">LATEST not deployed</Badge>}
                {dirty ? <Badge tone="info">unsaved changes</Badge> : null}
              </>
            ) : null}
          </p>
        </div>
        <div className="row">
          {canWrite ? (
            <button type="button" className={saved ? '' : 'primary'} onClick={() => void save.run()} disabled={save.busy || !dirty} aria-keyshortcuts="Control+S">
              {saved ? (save.busy ? 'Saving…' : 'Save') : save.busy ? 'Creating…' : 'Create function'}
            </button>
          ) : null}
          {saved && can('functions:write', 'functions:deploy') ? (
            <button type="button" className="primary" onClick={() => void prepareDeploy.run()} disabled={prepareDeploy.busy}>
              Save &amp; Deploy
            </button>
          ) : null}
        </div>
      </div>
      <ErrorNote error={save.error ?? prepareDeploy.error ?? deploy.error} />
      {notice ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}

      {saved === undefined ? (
        <fieldset className="type-choice">
          <legend>Type</legend>
          {(['INSERT_DESTINATION', 'DESTINATION'] as const).map((t) => (
            <label key={t} className="check">
              <input
                type="radio"
                name="resourceType"
                checked={draft.resourceType === t}
                onChange={() => set({ resourceType: t, ...(draft.code === template(draft.resourceType) ? { code: template(t) } : {}) })}
              />{' '}
              {t === 'INSERT_DESTINATION' ? 'Insert: changes or filters events on their way to a destination' : 'Destination: sends events somewhere itself'}
            </label>
          ))}
        </fieldset>
      ) : null}

      <div role="tablist" aria-label="Function" className="tabs">
        {(
          [
            ['code', 'Code & test'],
            ['details', 'Details & settings'],
            ...(saved ? [['versions', 'Versions'] as const] : []),
          ] as const
        ).map(([id, text]) => (
          <button key={id} type="button" role="tab" id={`tab-${id}`} aria-selected={tab === id} aria-controls={`panel-${id}`} onClick={() => setTab(id)}>
            {text}
          </button>
        ))}
      </div>

      <div role="tabpanel" id="panel-code" aria-labelledby="tab-code" hidden={tab !== 'code'} className="code-and-test">
        <div className="code-column">
          <div className="row between">
            <label className="field inline">
              <span className="field-label">Highlighting</span>
              <select value={language} onChange={(e) => setLanguage(e.target.value as 'javascript' | 'typescript')}>
                <option value="javascript">JavaScript</option>
                <option value="typescript">TypeScript</option>
              </select>
            </label>
            <span className="muted small-text">{canWrite ? 'Ctrl/⌘+Enter runs the test · Ctrl/⌘+S saves · Ctrl+Space completes · Tab leaves the editor' : 'Read only: this token may not change functions'}</span>
          </div>
          <CodeEditor value={draft.code} onChange={(code) => set({ code })} language={language} label="Function code" catalog={RUNTIME_CATALOG} check={check} keys={keys} readOnly={!canWrite} minHeight="28rem" />
        </div>
        <TestPanel ref={test} code={draft.code} resourceType={draft.resourceType} schema={draft.settings} canRun={canWrite} />
      </div>

      <div role="tabpanel" id="panel-details" aria-labelledby="tab-details" hidden={tab !== 'details'}>
        <div className="details-grid">
          <Field label="Name">
            <input value={draft.displayName} onChange={(e) => set({ displayName: e.target.value })} readOnly={!canWrite} maxLength={120} />
          </Field>
          <Field label="Logo URL" hint="Optional: an image shown in the catalog.">
            <input type="url" value={draft.logoUrl} onChange={(e) => set({ logoUrl: e.target.value })} readOnly={!canWrite} placeholder="https://…" />
          </Field>
          <Field label="Description">
            <textarea value={draft.description} onChange={(e) => set({ description: e.target.value })} readOnly={!canWrite} rows={2} />
          </Field>
        </div>
        <SettingsSchemaEditor settings={draft.settings} onChange={(settings) => set({ settings })} readOnly={!canWrite} />
      </div>

      {saved && tab === 'versions' ? (
        <div role="tabpanel" id="panel-versions" aria-labelledby="tab-versions">
          <VersionsPanel functionId={saved.id} onRestored={() => void load(saved.id)} />
        </div>
      ) : null}

      {deploying === undefined ? null : <DeployDialog instances={deploying} onCancel={() => setDeploying(undefined)} onDeploy={(ids) => (setDeploying(undefined), void deploy.run(ids))} />}
    </section>
  )
}

function DeployDialog({ instances, onDeploy, onCancel }: { instances: Instance[]; onDeploy: (ids: string[] | undefined) => void; onCancel: () => void }) {
  const [chosen, setChosen] = useState(() => new Set(instances.map((i) => i.id)))
  return (
    <ConfirmDialog title="Deploy LATEST" confirm="Deploy" onCancel={onCancel} onConfirm={() => onDeploy(chosen.size === instances.length ? undefined : [...chosen])}>
      <p>LATEST becomes the DEPLOYED version.</p>
      {instances.length === 0 ? (
        <p className="muted">No destination runs this function yet; connect it from a destination after deploying.</p>
      ) : (
        <fieldset>
          <legend>Move these connected destinations to it (the others keep their version)</legend>
          {instances.map((i) => (
            <label key={i.id} className="check">
              <input
                type="checkbox"
                checked={chosen.has(i.id)}
                onChange={(e) => {
                  const next = new Set(chosen)
                  if (e.target.checked) next.add(i.id)
                  else next.delete(i.id)
                  setChosen(next)
                }}
              />{' '}
              {i.name}
            </label>
          ))}
        </fieldset>
      )}
    </ConfirmDialog>
  )
}
