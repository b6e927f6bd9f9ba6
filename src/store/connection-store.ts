// Sources (with write keys), destinations on them, and insert function instances connecting a deployed
// insert function to a destination. Every write is one transaction with its audit entry; secret values
// are sealed before they reach the database and never appear in audit entries.
import { randomBytes } from 'node:crypto'
import type { Kysely, Selectable, Transaction } from 'kysely'
import { recordAudit } from './audit-log.js'
import { checkSettings } from './function-settings.js'
import type { FunctionSetting } from './function-store.js'
import { NotFoundError } from './function-store.js'
import { newId } from './ids.js'
import { ConflictError, InvalidInputError } from './invalid-input.js'
import type { Database, DestinationsTable, InsertFunctionInstancesTable } from './schema.js'
import { mask, type SecretBox } from './secret-box.js'

export interface SourceRecord {
  id: string
  slug: string
  name: string
  enabled: boolean
  settings: Record<string, unknown>
  writeKeys: string[]
  createdAt: string
  updatedAt: string
}

export type DestinationKind = 'webhook' | 'function'

export interface DestinationRecord {
  id: string
  sourceId: string
  name: string
  metadataId: DestinationKind
  enabled: boolean
  /** As stored: secret values are sealed. Use `openDestinationSettings` to use them, `maskedSettings` to show them. */
  settings: Record<string, unknown>
  createdAt: string
  updatedAt: string
}

export interface InstanceRecord {
  id: string
  functionId: string
  destinationId: string
  name: string
  enabled: boolean
  settings: Record<string, unknown>
  /** Sealed values of sensitive settings. */
  encryptedSettings: Record<string, string>
  versionId: string
  createdAt: string
  updatedAt: string
}

type Tx = Transaction<Database>
type Db = Kysely<Database> | Tx

const SLUG = /^[a-z0-9][a-z0-9_-]{0,99}$/
const newWriteKey = () => randomBytes(24).toString('base64url')

function webhookSettings(value: Record<string, unknown>, box: SecretBox, keep?: Record<string, unknown>): Record<string, unknown> {
  const { url, method = 'POST', headers = {}, batchSize = 1, ...rest } = value
  if (Object.keys(rest).length > 0) throw new InvalidInputError(`settings.${Object.keys(rest)[0]}`, `unknown webhook setting ${Object.keys(rest).join(', ')}; webhooks take url, method, headers and batchSize`)
  if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1000) throw new InvalidInputError('settings.batchSize', 'settings.batchSize must be a whole number from 1 (one event per request) to 1000')
  if (typeof url !== 'string' || !/^https?:\/\/[^\s]+$/.test(url) || !URL.canParse(url)) throw new InvalidInputError('settings.url', 'settings.url must be an http or https URL')
  if (method !== 'POST' && method !== 'PUT' && method !== 'PATCH') throw new InvalidInputError('settings.method', 'settings.method must be POST, PUT or PATCH')
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) throw new InvalidInputError('settings.headers', 'settings.headers must be an object of header names and values')
  const sealed: Record<string, string> = {}
  for (const [name, v] of Object.entries(headers)) {
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) throw new InvalidInputError(`settings.headers.${name}`, `${name} is not a valid header name`)
    // A header left as its masked value keeps the value stored before.
    const previous = (keep?.headers as Record<string, string> | undefined)?.[name]
    if (typeof v === 'string' && v.startsWith('••••') && previous !== undefined) sealed[name] = previous
    else if (typeof v !== 'string') throw new InvalidInputError(`settings.headers.${name}`, `header ${name} must be a string`)
    // Header values often carry credentials (Authorization): all are sealed.
    else sealed[name] = box.seal(v)
  }
  return { url, method, headers: sealed, batchSize }
}

export class ConnectionStore {
  readonly #listeners: (() => void)[] = []

  constructor(
    private readonly db: Kysely<Database>,
    private readonly box: SecretBox,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Calls `listener` after every change to sources, write keys or destinations made through this store. */
  onChange(listener: () => void): void {
    this.#listeners.push(listener)
  }

  /** The change's result, once listeners have heard of it (when it succeeded). */
  async #changed<T>(change: Promise<T>): Promise<T> {
    const result = await change
    for (const listener of this.#listeners) listener()
    return result
  }

  // ---- sources ----

  async createSource(input: { slug: string; name?: string; enabled: boolean; settings?: Record<string, unknown> }, actor: string): Promise<SourceRecord> {
    if (!SLUG.test(input.slug)) throw new InvalidInputError('slug', 'slug must be lowercase letters, digits, - and _, starting with a letter or digit, at most 100 characters')
    return this.#changed(this.db.transaction().execute(async (tx) => {
      if ((await tx.selectFrom('sources').select('id').where('slug', '=', input.slug).executeTakeFirst()) !== undefined) {
        throw new ConflictError('slug', `a source with slug ${input.slug} already exists`)
      }
      const at = this.now().toISOString()
      const id = newId('src_')
      await tx.insertInto('sources').values({ id, slug: input.slug, name: input.name ?? input.slug, enabled: input.enabled ? 1 : 0, settings: JSON.stringify(input.settings ?? {}), created_at: at, updated_at: at }).execute()
      await tx.insertInto('source_write_keys').values({ write_key: newWriteKey(), source_id: id, created_at: at }).execute()
      const source = await this.#source(tx, id)
      await recordAudit(tx, { type: 'Source Created', actor, resourceId: id, resourceType: 'Source', resourceName: source.name, after: { slug: source.slug, enabled: source.enabled } }, at)
      return source
    }))
  }

  async #source(db: Db, id: string): Promise<SourceRecord> {
    const row = await db.selectFrom('sources').selectAll().where('id', '=', id).executeTakeFirst()
    if (row === undefined) throw new NotFoundError('source', id)
    const keys = await db.selectFrom('source_write_keys').select('write_key').where('source_id', '=', id).orderBy('created_at').orderBy('write_key').execute()
    return {
      id: row.id, slug: row.slug, name: row.name, enabled: Number(row.enabled) === 1, settings: JSON.parse(row.settings) as Record<string, unknown>,
      writeKeys: keys.map((k) => k.write_key), createdAt: row.created_at, updatedAt: row.updated_at,
    }
  }

  getSource(id: string): Promise<SourceRecord> {
    return this.#source(this.db, id)
  }

  async listSources(): Promise<SourceRecord[]> {
    const rows = await this.db.selectFrom('sources').select('id').orderBy('id').execute()
    return Promise.all(rows.map((r) => this.#source(this.db, r.id)))
  }

  /** The source a write key belongs to, for the tracking API. */
  async sourceForWriteKey(writeKey: string): Promise<SourceRecord | undefined> {
    const row = await this.db.selectFrom('source_write_keys').select('source_id').where('write_key', '=', writeKey).executeTakeFirst()
    return row === undefined ? undefined : this.#source(this.db, row.source_id)
  }

  async updateSource(id: string, patch: { name?: string; enabled?: boolean; slug?: string; settings?: Record<string, unknown> }, actor: string): Promise<SourceRecord> {
    if (patch.slug !== undefined && !SLUG.test(patch.slug)) throw new InvalidInputError('slug', 'slug must be lowercase letters, digits, - and _')
    return this.#changed(this.db.transaction().execute(async (tx) => {
      const before = await this.#source(tx, id)
      if (patch.slug !== undefined && patch.slug !== before.slug && (await tx.selectFrom('sources').select('id').where('slug', '=', patch.slug).executeTakeFirst()) !== undefined) {
        throw new ConflictError('slug', `a source with slug ${patch.slug} already exists`)
      }
      const at = this.now().toISOString()
      await tx
        .updateTable('sources')
        .set({
          ...(patch.name === undefined ? {} : { name: patch.name }),
          ...(patch.slug === undefined ? {} : { slug: patch.slug }),
          ...(patch.enabled === undefined ? {} : { enabled: patch.enabled ? 1 : 0 }),
          ...(patch.settings === undefined ? {} : { settings: JSON.stringify(patch.settings) }),
          updated_at: at,
        })
        .where('id', '=', id)
        .execute()
      const after = await this.#source(tx, id)
      await recordAudit(tx, { type: 'Source Updated', actor, resourceId: id, resourceType: 'Source', resourceName: after.name, before: { slug: before.slug, name: before.name, enabled: before.enabled }, after: { slug: after.slug, name: after.name, enabled: after.enabled } }, at)
      return after
    }))
  }

  async deleteSource(id: string, actor: string): Promise<void> {
    await this.#changed(this.db.transaction().execute(async (tx) => {
      const before = await this.#source(tx, id)
      const destinations = await tx.selectFrom('destinations').select('id').where('source_id', '=', id).execute()
      for (const d of destinations) await this.#deleteDestination(tx, d.id)
      await tx.deleteFrom('source_write_keys').where('source_id', '=', id).execute()
      await tx.deleteFrom('sources').where('id', '=', id).execute()
      await recordAudit(tx, { type: 'Source Deleted', actor, resourceId: id, resourceType: 'Source', resourceName: before.name, before: { slug: before.slug, destinations: destinations.length } }, this.now().toISOString())
    }))
  }

  /** Rotation: a second key works at once; the old one is removed when clients have moved. */
  async addWriteKey(sourceId: string, actor: string): Promise<SourceRecord> {
    return this.#changed(this.db.transaction().execute(async (tx) => {
      await this.#source(tx, sourceId)
      const at = this.now().toISOString()
      await tx.insertInto('source_write_keys').values({ write_key: newWriteKey(), source_id: sourceId, created_at: at }).execute()
      const after = await this.#source(tx, sourceId)
      await recordAudit(tx, { type: 'Source Write Key Created', actor, resourceId: sourceId, resourceType: 'Source', resourceName: after.name, after: { writeKeys: after.writeKeys.length } }, at)
      return after
    }))
  }

  async removeWriteKey(sourceId: string, writeKey: string, actor: string): Promise<void> {
    await this.#changed(this.db.transaction().execute(async (tx) => {
      const source = await this.#source(tx, sourceId)
      if (!source.writeKeys.includes(writeKey)) throw new NotFoundError('writeKey', `${writeKey.slice(0, 4)}… on source ${sourceId}`)
      if (source.writeKeys.length === 1) throw new ConflictError('writeKey', 'a source keeps at least one write key: add a new one before removing the last')
      await tx.deleteFrom('source_write_keys').where('write_key', '=', writeKey).execute()
      await recordAudit(tx, { type: 'Source Write Key Removed', actor, resourceId: sourceId, resourceType: 'Source', resourceName: source.name, after: { writeKeys: source.writeKeys.length - 1 } }, this.now().toISOString())
    }))
  }

  // ---- destinations ----

  async #destinationSettings(tx: Tx, kind: DestinationKind, settings: Record<string, unknown>, keep?: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (kind === 'webhook') return webhookSettings(settings, this.box, keep)
    const { functionId, settings: values = {}, ...rest } = settings
    if (Object.keys(rest).length > 0) throw new InvalidInputError(`settings.${Object.keys(rest)[0]}`, 'function destinations take functionId and settings')
    if (typeof values !== 'object' || values === null || Array.isArray(values)) throw new InvalidInputError('settings.settings', 'settings.settings must be an object of the function\'s settings')
    if (typeof functionId !== 'string') throw new InvalidInputError('settings.functionId', 'settings.functionId must name a DESTINATION function')
    const fn = await tx.selectFrom('functions').selectAll().where('id', '=', functionId).executeTakeFirst()
    if (fn === undefined || fn.resource_type !== 'DESTINATION') throw new InvalidInputError('settings.functionId', `${functionId} is not a DESTINATION function`)
    if (fn.deployed_version_id === null) throw new InvalidInputError('settings.functionId', `function ${functionId} has never been deployed: deploy it first`)
    const version = await tx.selectFrom('function_versions').select('settings').where('id', '=', fn.deployed_version_id).executeTakeFirstOrThrow()
    const checked = checkSettings(JSON.parse(version.settings) as FunctionSetting[], values as Record<string, unknown>, 'settings.settings', (keep?.secrets ?? {}) as Record<string, string>)
    const secrets = { ...checked.kept, ...Object.fromEntries(Object.entries(checked.secret).map(([k, v]) => [k, this.box.seal(v)])) }
    return { functionId, versionId: fn.deployed_version_id, settings: checked.plain, secrets }
  }

  #destination(row: Selectable<DestinationsTable>): DestinationRecord {
    return {
      id: row.id, sourceId: row.source_id, name: row.name, metadataId: row.metadata_id as DestinationKind, enabled: Number(row.enabled) === 1,
      settings: JSON.parse(row.settings) as Record<string, unknown>, createdAt: row.created_at, updatedAt: row.updated_at,
    }
  }

  async #getDestination(db: Db, id: string): Promise<DestinationRecord> {
    const row = await db.selectFrom('destinations').selectAll().where('id', '=', id).executeTakeFirst()
    if (row === undefined) throw new NotFoundError('destination', id)
    return this.#destination(row)
  }

  getDestination(id: string): Promise<DestinationRecord> {
    return this.#getDestination(this.db, id)
  }

  async listDestinations(sourceId?: string): Promise<DestinationRecord[]> {
    let q = this.db.selectFrom('destinations').selectAll().orderBy('id')
    if (sourceId !== undefined) q = q.where('source_id', '=', sourceId)
    return (await q.execute()).map((r) => this.#destination(r))
  }

  async createDestination(input: { sourceId: string; metadataId: string; name?: string; enabled?: boolean; settings: Record<string, unknown> }, actor: string): Promise<DestinationRecord> {
    if (input.metadataId !== 'webhook' && input.metadataId !== 'function') throw new InvalidInputError('metadataId', `metadataId must be webhook or function, not ${input.metadataId}`)
    return this.#changed(this.db.transaction().execute(async (tx) => {
      const source = await tx.selectFrom('sources').select('id').where('id', '=', input.sourceId).executeTakeFirst()
      if (source === undefined) throw new InvalidInputError('sourceId', `source ${input.sourceId} does not exist`)
      const settings = await this.#destinationSettings(tx, input.metadataId as DestinationKind, input.settings)
      const at = this.now().toISOString()
      const id = newId('dst_')
      await tx.insertInto('destinations').values({ id, source_id: input.sourceId, name: input.name ?? input.metadataId, metadata_id: input.metadataId, enabled: input.enabled === false ? 0 : 1, settings: JSON.stringify(settings), created_at: at, updated_at: at }).execute()
      const created = await this.#getDestination(tx, id)
      await recordAudit(tx, { type: 'Destination Created', actor, resourceId: id, resourceType: 'Destination', resourceName: created.name, after: { sourceId: created.sourceId, metadataId: created.metadataId, enabled: created.enabled, settings: this.maskedSettings(created) } }, at)
      return created
    }))
  }

  async updateDestination(id: string, patch: { name?: string | null; enabled?: boolean; settings?: Record<string, unknown> }, actor: string): Promise<DestinationRecord> {
    return this.#changed(this.db.transaction().execute(async (tx) => {
      const before = await this.#getDestination(tx, id)
      const settings = patch.settings === undefined ? undefined : await this.#destinationSettings(tx, before.metadataId, patch.settings, before.settings)
      const at = this.now().toISOString()
      await tx
        .updateTable('destinations')
        .set({
          ...(patch.name === undefined || patch.name === null ? {} : { name: patch.name }),
          ...(patch.enabled === undefined ? {} : { enabled: patch.enabled ? 1 : 0 }),
          ...(settings === undefined ? {} : { settings: JSON.stringify(settings) }),
          updated_at: at,
        })
        .where('id', '=', id)
        .execute()
      const after = await this.#getDestination(tx, id)
      await recordAudit(tx, { type: 'Destination Updated', actor, resourceId: id, resourceType: 'Destination', resourceName: after.name, before: { enabled: before.enabled, settings: this.maskedSettings(before) }, after: { enabled: after.enabled, settings: this.maskedSettings(after) } }, at)
      return after
    }))
  }

  async #deleteDestination(tx: Tx, id: string): Promise<void> {
    await tx.deleteFrom('insert_function_instances').where('destination_id', '=', id).execute()
    await tx.deleteFrom('destinations').where('id', '=', id).execute()
  }

  async deleteDestination(id: string, actor: string): Promise<void> {
    await this.#changed(this.db.transaction().execute(async (tx) => {
      const before = await this.#getDestination(tx, id)
      await this.#deleteDestination(tx, id)
      await recordAudit(tx, { type: 'Destination Deleted', actor, resourceId: id, resourceType: 'Destination', resourceName: before.name, before: { sourceId: before.sourceId, metadataId: before.metadataId } }, this.now().toISOString())
    }))
  }

  /** Settings as the API shows them: every sealed value masked. */
  maskedSettings(d: DestinationRecord): Record<string, unknown> {
    const s = d.settings
    if (d.metadataId === 'webhook') {
      const headers = Object.fromEntries(Object.entries((s.headers ?? {}) as Record<string, string>).map(([k, v]) => [k, mask(this.box.open(v))]))
      return { ...s, headers }
    }
    const secrets = Object.fromEntries(Object.entries((s.secrets ?? {}) as Record<string, string>).map(([k, v]) => [k, mask(this.box.open(v))]))
    return { functionId: s.functionId, settings: { ...(s.settings as Record<string, unknown>), ...secrets } }
  }

  /** Settings with secrets opened, for the pipeline that delivers events. */
  openDestinationSettings(d: DestinationRecord): Record<string, unknown> {
    const s = d.settings
    if (d.metadataId === 'webhook') {
      return { ...s, headers: Object.fromEntries(Object.entries((s.headers ?? {}) as Record<string, string>).map(([k, v]) => [k, this.box.open(v)])) }
    }
    const secrets = Object.fromEntries(Object.entries((s.secrets ?? {}) as Record<string, string>).map(([k, v]) => [k, this.box.open(v)]))
    return { functionId: s.functionId, versionId: s.versionId, settings: { ...(s.settings as Record<string, unknown>), ...secrets } }
  }

  // ---- insert function instances ----

  #instance(row: Selectable<InsertFunctionInstancesTable>): InstanceRecord {
    return {
      id: row.id, functionId: row.function_id, destinationId: row.destination_id, name: row.name, enabled: Number(row.enabled) === 1,
      settings: JSON.parse(row.settings) as Record<string, unknown>, encryptedSettings: JSON.parse(row.encrypted_settings) as Record<string, string>,
      versionId: row.version_id, createdAt: row.created_at, updatedAt: row.updated_at,
    }
  }

  async #getInstance(db: Db, id: string): Promise<InstanceRecord> {
    const row = await db.selectFrom('insert_function_instances').selectAll().where('id', '=', id).executeTakeFirst()
    if (row === undefined) throw new NotFoundError('instance', id)
    return this.#instance(row)
  }

  getInstance(id: string): Promise<InstanceRecord> {
    return this.#getInstance(this.db, id)
  }

  /** The destination's insert function instance, if it has one. */
  async instanceForDestination(destinationId: string): Promise<InstanceRecord | undefined> {
    const row = await this.db.selectFrom('insert_function_instances').selectAll().where('destination_id', '=', destinationId).executeTakeFirst()
    return row === undefined ? undefined : this.#instance(row)
  }

  async listInstances(functionId: string): Promise<InstanceRecord[]> {
    return (await this.db.selectFrom('insert_function_instances').selectAll().where('function_id', '=', functionId).orderBy('id').execute()).map((r) => this.#instance(r))
  }

  async #deployedSchema(tx: Tx, functionId: string): Promise<{ versionId: string; schema: FunctionSetting[] }> {
    const fn = await tx.selectFrom('functions').selectAll().where('id', '=', functionId).executeTakeFirst()
    if (fn === undefined) throw new InvalidInputError('functionId', `function ${functionId} does not exist`)
    if (fn.resource_type !== 'INSERT_DESTINATION') throw new InvalidInputError('functionId', `${functionId} is a ${fn.resource_type} function, not an INSERT_DESTINATION one`)
    if (fn.deployed_version_id === null) throw new InvalidInputError('functionId', `function ${functionId} has never been deployed: deploy it before connecting it`)
    const version = await tx.selectFrom('function_versions').select('settings').where('id', '=', fn.deployed_version_id).executeTakeFirstOrThrow()
    return { versionId: fn.deployed_version_id, schema: JSON.parse(version.settings) as FunctionSetting[] }
  }

  async createInstance(input: { functionId: string; integrationId: string; name: string; enabled?: boolean; settings: Record<string, unknown> }, actor: string): Promise<InstanceRecord> {
    return this.db.transaction().execute(async (tx) => {
      const { versionId, schema } = await this.#deployedSchema(tx, input.functionId)
      const destination = await tx.selectFrom('destinations').select('id').where('id', '=', input.integrationId).executeTakeFirst()
      if (destination === undefined) throw new InvalidInputError('integrationId', `destination ${input.integrationId} does not exist`)
      const existing = await tx.selectFrom('insert_function_instances').select('id').where('destination_id', '=', input.integrationId).executeTakeFirst()
      if (existing !== undefined) throw new ConflictError('integrationId', `destination ${input.integrationId} already has an insert function (instance ${existing.id}); a destination can have only one`)
      const { plain, secret } = checkSettings(schema, input.settings)
      const at = this.now().toISOString()
      const id = newId('ifi_')
      await tx
        .insertInto('insert_function_instances')
        .values({
          id, function_id: input.functionId, destination_id: input.integrationId, name: input.name, enabled: input.enabled === false ? 0 : 1,
          settings: JSON.stringify(plain), encrypted_settings: JSON.stringify(Object.fromEntries(Object.entries(secret).map(([k, v]) => [k, this.box.seal(v)]))),
          version_id: versionId, created_at: at, updated_at: at,
        })
        .execute()
      const created = await this.#getInstance(tx, id)
      await recordAudit(tx, { type: 'Insert Function Instance Created', actor, resourceId: id, resourceType: 'Insert Function Instance', resourceName: created.name, after: this.#auditInstance(created) }, at)
      return created
    })
  }

  async updateInstance(id: string, patch: { name?: string; enabled?: boolean; settings?: Record<string, unknown> }, actor: string): Promise<InstanceRecord> {
    return this.db.transaction().execute(async (tx) => {
      const before = await this.#getInstance(tx, id)
      const at = this.now().toISOString()
      let settings: { settings: string; encrypted_settings: string } | undefined
      if (patch.settings !== undefined) {
        const { schema } = await this.#deployedSchema(tx, before.functionId)
        const { plain, secret, kept } = checkSettings(schema, patch.settings, 'settings', before.encryptedSettings)
        settings = { settings: JSON.stringify(plain), encrypted_settings: JSON.stringify({ ...kept, ...Object.fromEntries(Object.entries(secret).map(([k, v]) => [k, this.box.seal(v)])) }) }
      }
      await tx
        .updateTable('insert_function_instances')
        .set({ ...(patch.name === undefined ? {} : { name: patch.name }), ...(patch.enabled === undefined ? {} : { enabled: patch.enabled ? 1 : 0 }), ...settings, updated_at: at })
        .where('id', '=', id)
        .execute()
      const after = await this.#getInstance(tx, id)
      await recordAudit(tx, { type: 'Insert Function Instance Updated', actor, resourceId: id, resourceType: 'Insert Function Instance', resourceName: after.name, before: this.#auditInstance(before), after: this.#auditInstance(after) }, at)
      return after
    })
  }

  async deleteInstance(id: string, actor: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const before = await this.#getInstance(tx, id)
      await tx.deleteFrom('insert_function_instances').where('id', '=', id).execute()
      await recordAudit(tx, { type: 'Insert Function Instance Deleted', actor, resourceId: id, resourceType: 'Insert Function Instance', resourceName: before.name, before: this.#auditInstance(before) }, this.now().toISOString())
    })
  }

  /** Sensitive values as the API shows them. */
  maskedSecrets(i: InstanceRecord): Record<string, string> {
    return Object.fromEntries(Object.entries(i.encryptedSettings).map(([k, v]) => [k, mask(this.box.open(v))]))
  }

  /** All settings with secrets opened, for the sandbox. */
  openInstanceSettings(i: InstanceRecord): Record<string, unknown> {
    return { ...i.settings, ...Object.fromEntries(Object.entries(i.encryptedSettings).map(([k, v]) => [k, this.box.open(v)])) }
  }

  #auditInstance(i: InstanceRecord) {
    return { functionId: i.functionId, destinationId: i.destinationId, enabled: i.enabled, versionId: i.versionId, settings: { ...i.settings, ...this.maskedSecrets(i) } }
  }
}
