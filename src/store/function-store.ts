// Functions and their versions. Every write is one transaction: a function never exists without its
// first version, and a version never without its function.
import { createHash } from 'node:crypto'
import { recordAudit } from './audit-log.js'
import { newId } from './ids.js'
import { ConflictError } from './invalid-input.js'
import type { Kysely, Transaction } from 'kysely'
import type { Database, FunctionRow, VersionRow } from './schema.js'

import type { FunctionSetting, ResourceType } from './function-types.js'

export type { FunctionSetting, ResourceType, SettingType } from './function-types.js'

export interface VersionRecord {
  id: string
  functionId: string
  number: number
  code: string
  settings: FunctionSetting[]
  author: string
  createdAt: string
  restoredFrom: string | null
}

export interface FunctionRecord {
  id: string
  resourceType: ResourceType
  displayName: string
  description: string
  logoUrl: string | null
  createdAt: string
  createdBy: string
  updatedAt: string
  latest: VersionRecord
  deployedVersionId: string | null
  deployedAt: string | null
}

export interface NewFunction {
  resourceType: ResourceType
  displayName: string
  description?: string
  logoUrl?: string | null
  code: string
  settings: FunctionSetting[]
  author: string
}

export interface FunctionPatch {
  displayName?: string
  description?: string
  logoUrl?: string | null
  code?: string
  settings?: FunctionSetting[]
}

export class NotFoundError extends Error {
  constructor(
    readonly resource: string,
    readonly id: string,
  ) {
    super(`${resource} ${id} does not exist`)
    this.name = 'NotFoundError'
  }
}

export { newId }

const ID_PREFIX: Record<ResourceType, string> = { INSERT_DESTINATION: 'ifnd_', DESTINATION: 'dfn_' }

function toVersion(row: VersionRow): VersionRecord {
  return {
    id: row.id,
    functionId: row.function_id,
    number: Number(row.number),
    code: row.code,
    settings: JSON.parse(row.settings) as FunctionSetting[],
    author: row.author,
    createdAt: row.created_at,
    restoredFrom: row.restored_from,
  }
}

function toFunction(row: FunctionRow, latest: VersionRow): FunctionRecord {
  return {
    id: row.id,
    resourceType: row.resource_type,
    displayName: row.display_name,
    description: row.description,
    logoUrl: row.logo_url,
    createdAt: row.created_at,
    createdBy: row.created_by,
    updatedAt: row.updated_at,
    latest: toVersion(latest),
    deployedVersionId: row.deployed_version_id,
    deployedAt: row.deployed_at,
  }
}

/** What the audit trail keeps of a function: no code (a hash of it), no secret values (functions hold none). */
function auditSummary(f: FunctionRecord) {
  return {
    displayName: f.displayName,
    description: f.description,
    logoUrl: f.logoUrl,
    latestVersion: f.latest.number,
    deployedVersionId: f.deployedVersionId,
    codeSha256: createHash('sha256').update(f.latest.code).digest('hex'),
    settings: f.latest.settings.map(({ name, type, required, sensitive }) => ({ name, type, required, sensitive })),
  }
}

export interface Page<T> {
  items: T[]
  /** Pass back as `cursor` for the next page; absent on the last page. */
  next?: string
  total: number
}

export class FunctionStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(input: NewFunction): Promise<FunctionRecord> {
    const at = this.now().toISOString()
    const id = newId(ID_PREFIX[input.resourceType])
    const versionId = newId('ver_')
    return this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('functions')
        .values({
          id,
          resource_type: input.resourceType,
          display_name: input.displayName,
          description: input.description ?? '',
          logo_url: input.logoUrl ?? null,
          created_at: at,
          created_by: input.author,
          updated_at: at,
          latest_version_id: versionId,
          deployed_version_id: null,
          deployed_at: null,
        })
        .execute()
      await tx
        .insertInto('function_versions')
        .values({ id: versionId, function_id: id, number: 1, code: input.code, settings: JSON.stringify(input.settings), author: input.author, created_at: at, restored_from: null })
        .execute()
      const created = await this.#get(tx, id)
      await recordAudit(tx, { type: 'Function Created', actor: input.author, resourceId: id, resourceType: 'Function', resourceName: created.displayName, after: auditSummary(created) }, at)
      return created
    })
  }

  async get(id: string): Promise<FunctionRecord> {
    return this.#get(this.db, id)
  }

  async #get(db: Kysely<Database> | Transaction<Database>, id: string): Promise<FunctionRecord> {
    const row = await db.selectFrom('functions').selectAll().where('id', '=', id).executeTakeFirst()
    if (row === undefined) throw new NotFoundError('function', id)
    const latest = await db.selectFrom('function_versions').selectAll().where('id', '=', row.latest_version_id).executeTakeFirstOrThrow()
    return toFunction(row, latest)
  }

  /** Functions of one type, oldest first, `count` at a time; `cursor` is the last id of the previous page. */
  async list(resourceType: ResourceType, count: number, cursor?: string): Promise<Page<FunctionRecord>> {
    let query = this.db
      .selectFrom('functions')
      .innerJoin('function_versions', 'function_versions.id', 'functions.latest_version_id')
      .selectAll('functions')
      .select([
        'function_versions.id as v_id', 'function_versions.function_id as v_function_id', 'function_versions.number as v_number',
        'function_versions.code as v_code', 'function_versions.settings as v_settings', 'function_versions.author as v_author',
        'function_versions.created_at as v_created_at', 'function_versions.restored_from as v_restored_from',
      ])
      .where('resource_type', '=', resourceType)
      .orderBy('functions.id')
      .limit(count + 1)
    if (cursor !== undefined) query = query.where('functions.id', '>', cursor)
    const [rows, total] = await Promise.all([
      query.execute(),
      this.db.selectFrom('functions').select((eb) => eb.fn.countAll<number>().as('n')).where('resource_type', '=', resourceType).executeTakeFirstOrThrow(),
    ])
    const items = rows.slice(0, count).map((r) =>
      toFunction(r, {
        id: r.v_id, function_id: r.v_function_id, number: r.v_number, code: r.v_code, settings: r.v_settings,
        author: r.v_author, created_at: r.v_created_at, restored_from: r.v_restored_from,
      }),
    )
    const page: Page<FunctionRecord> = { items, total: Number(total.n) }
    if (rows.length > count) page.next = items.at(-1)!.id
    return page
  }

  /** Save: metadata changes in place; a change of code or settings becomes the new LATEST version. */
  async update(id: string, patch: FunctionPatch, author: string): Promise<FunctionRecord> {
    return this.db.transaction().execute(async (tx) => {
      const current = await this.#get(tx, id)
      const at = this.now().toISOString()
      const codeChanged = patch.code !== undefined && patch.code !== current.latest.code
      const settingsChanged = patch.settings !== undefined && JSON.stringify(patch.settings) !== JSON.stringify(current.latest.settings)
      let latestId = current.latest.id
      if (codeChanged || settingsChanged) {
        latestId = await this.#addVersion(tx, id, patch.code ?? current.latest.code, patch.settings ?? current.latest.settings, author, at, null)
      }
      await tx
        .updateTable('functions')
        .set({
          ...(patch.displayName === undefined ? {} : { display_name: patch.displayName }),
          ...(patch.description === undefined ? {} : { description: patch.description }),
          ...(patch.logoUrl === undefined ? {} : { logo_url: patch.logoUrl }),
          latest_version_id: latestId,
          updated_at: at,
        })
        .where('id', '=', id)
        .execute()
      const updated = await this.#get(tx, id)
      await recordAudit(tx, { type: 'Function Updated', actor: author, resourceId: id, resourceType: 'Function', resourceName: updated.displayName, before: auditSummary(current), after: auditSummary(updated) }, at)
      return updated
    })
  }

  async #addVersion(tx: Transaction<Database>, functionId: string, code: string, settings: FunctionSetting[], author: string, at: string, restoredFrom: string | null): Promise<string> {
    const last = await tx
      .selectFrom('function_versions')
      .select((eb) => eb.fn.max<number>('number').as('n'))
      .where('function_id', '=', functionId)
      .executeTakeFirstOrThrow()
    const versionId = newId('ver_')
    await tx
      .insertInto('function_versions')
      .values({ id: versionId, function_id: functionId, number: Number(last.n ?? 0) + 1, code, settings: JSON.stringify(settings), author, created_at: at, restored_from: restoredFrom })
      .execute()
    return versionId
  }

  /**
   * Deletes a function, its versions and its insert function instances. A DESTINATION function that a
   * destination still runs is refused: the destination would be left pointing at nothing.
   */
  async delete(id: string, author: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const current = await this.#get(tx, id)
      const users = await tx.selectFrom('destinations').select('id').where('metadata_id', '=', 'function').where('settings', 'like', `%"functionId":"${id}"%`).execute()
      if (users.length > 0) throw new ConflictError('functionId', `destination ${users.map((u) => u.id).join(', ')} runs this function: delete it, or point it at another function, first`)
      const instances = await tx.deleteFrom('insert_function_instances').where('function_id', '=', id).executeTakeFirst()
      await recordAudit(tx, { type: 'Function Deleted', actor: author, resourceId: id, resourceType: 'Function', resourceName: current.displayName, before: { ...auditSummary(current), instancesDeleted: Number(instances.numDeletedRows) } }, this.now().toISOString())
      // Versions go first: not every SQLite connection enforces the cascade.
      await tx.deleteFrom('function_versions').where('function_id', '=', id).execute()
      await tx.deleteFrom('functions').where('id', '=', id).execute()
    })
  }

  /** Newest first. */
  async versions(functionId: string): Promise<VersionRecord[]> {
    await this.get(functionId)
    const rows = await this.db.selectFrom('function_versions').selectAll().where('function_id', '=', functionId).orderBy('number', 'desc').execute()
    return rows.map(toVersion)
  }

  async version(functionId: string, versionId: string): Promise<VersionRecord> {
    const row = await this.db.selectFrom('function_versions').selectAll().where('function_id', '=', functionId).where('id', '=', versionId).executeTakeFirst()
    if (row === undefined) throw new NotFoundError('version', versionId)
    return toVersion(row)
  }

  /** Restore: a copy of an old version becomes the new LATEST (it still has to be deployed). */
  async restore(functionId: string, versionId: string, author: string): Promise<VersionRecord> {
    return this.db.transaction().execute(async (tx) => {
      const old = await tx.selectFrom('function_versions').selectAll().where('function_id', '=', functionId).where('id', '=', versionId).executeTakeFirst()
      if (old === undefined) throw new NotFoundError('version', versionId)
      const at = this.now().toISOString()
      const before = await this.#get(tx, functionId)
      const newVersionId = await this.#addVersion(tx, functionId, old.code, JSON.parse(old.settings) as FunctionSetting[], author, at, old.id)
      await tx.updateTable('functions').set({ latest_version_id: newVersionId, updated_at: at }).where('id', '=', functionId).execute()
      const after = await this.#get(tx, functionId)
      await recordAudit(tx, { type: 'Function Version Restored', actor: author, resourceId: functionId, resourceType: 'Function', resourceName: after.displayName, before: auditSummary(before), after: { ...auditSummary(after), restoredFrom: old.id } }, at)
      return toVersion(await tx.selectFrom('function_versions').selectAll().where('id', '=', newVersionId).executeTakeFirstOrThrow())
    })
  }

  /**
   * Save & Deploy: LATEST becomes DEPLOYED, and the function's insert function instances (all, or the ones
   * named) move to it. Instances not named stay on the version they run.
   */
  async deploy(functionId: string, author: string, instanceIds?: string[]): Promise<{ function: FunctionRecord; instancesMoved: number }> {
    return this.db.transaction().execute(async (tx) => {
      const current = await this.#get(tx, functionId)
      const at = this.now().toISOString()
      await tx.updateTable('functions').set({ deployed_version_id: current.latest.id, deployed_at: at }).where('id', '=', functionId).execute()
      let move = tx.updateTable('insert_function_instances').set({ version_id: current.latest.id, updated_at: at }).where('function_id', '=', functionId)
      if (instanceIds !== undefined) {
        const known = await tx.selectFrom('insert_function_instances').select('id').where('function_id', '=', functionId).execute()
        const unknown = instanceIds.filter((id) => !known.some((k) => k.id === id))
        if (unknown.length > 0) throw new NotFoundError('instance', `${unknown.join(', ')} (not an instance of ${functionId})`)
        move = move.where('id', 'in', instanceIds.length > 0 ? instanceIds : [''])
      }
      const moved = Number((await move.executeTakeFirst()).numUpdatedRows)
      const deployed = await this.#get(tx, functionId)
      await recordAudit(tx, { type: 'Function Deployed', actor: author, resourceId: functionId, resourceType: 'Function', resourceName: deployed.displayName, before: auditSummary(current), after: { ...auditSummary(deployed), instancesMoved: moved } }, at)
      return { function: deployed, instancesMoved: moved }
    })
  }
}
