// Destination filters: FQL conditions with actions, at most 10 per destination. The FQL is parsed when a
// filter is saved, so a filter that is stored always parses.
import type { Kysely, Selectable } from 'kysely'
import { FqlSyntaxError, parseFql } from '../fql/index.js'
import type { CompiledFilter, FilterAction } from '../fql/index.js'
import { recordAudit } from './audit-log.js'
import { NotFoundError } from './function-store.js'
import { newId } from './ids.js'
import { ConflictError, InvalidInputError } from './invalid-input.js'
import type { Database, DestinationFiltersTable } from './schema.js'

export const MAX_FILTERS_PER_DESTINATION = 10

export interface FilterRecord {
  id: string
  sourceId: string
  destinationId: string
  if: string
  actions: FilterAction[]
  title: string
  description?: string
  enabled: boolean
  createdAt: string
  updatedAt: string
}

export interface FilterInput {
  sourceId: string
  if: string
  actions: FilterAction[]
  title: string
  description?: string | null
  enabled: boolean
}

/** Refuses FQL that does not parse, naming where. */
export function compileFql(text: string, field = 'if') {
  try {
    return parseFql(text)
  } catch (err) {
    if (err instanceof FqlSyntaxError) throw new InvalidInputError(field, err.message)
    throw err
  }
}

function toRecord(row: Selectable<DestinationFiltersTable>): FilterRecord {
  return {
    id: row.id, sourceId: row.source_id, destinationId: row.destination_id, if: row.if_fql, actions: JSON.parse(row.actions) as FilterAction[],
    title: row.title, ...(row.description === null ? {} : { description: row.description }), enabled: Number(row.enabled) === 1,
    createdAt: row.created_at, updatedAt: row.updated_at,
  }
}

export class FilterStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(destinationId: string, input: FilterInput, actor: string): Promise<FilterRecord> {
    compileFql(input.if)
    return this.db.transaction().execute(async (tx) => {
      const destination = await tx.selectFrom('destinations').select(['id', 'source_id']).where('id', '=', destinationId).executeTakeFirst()
      if (destination === undefined) throw new NotFoundError('destination', destinationId)
      if (destination.source_id !== input.sourceId) throw new InvalidInputError('sourceId', `destination ${destinationId} belongs to source ${destination.source_id}, not ${input.sourceId}`)
      const existing = await tx
        .selectFrom('destination_filters')
        .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max('created_at').as('last')])
        .where('destination_id', '=', destinationId)
        .executeTakeFirstOrThrow()
      if (Number(existing.n) >= MAX_FILTERS_PER_DESTINATION) throw new ConflictError('destinationId', `destination ${destinationId} already has ${MAX_FILTERS_PER_DESTINATION} filters, the most it may have`)
      // Filters apply in the order they were made, which the list reads from created_at: one made in the
      // same millisecond as the last (or with the clock set back) is stamped a millisecond after it, so
      // the order never falls to the ids, which are random.
      let at = this.now().toISOString()
      if (existing.last !== null && at <= existing.last) at = new Date(Date.parse(existing.last) + 1).toISOString()
      const id = newId('flt_')
      await tx
        .insertInto('destination_filters')
        .values({ id, destination_id: destinationId, source_id: input.sourceId, title: input.title, description: input.description ?? null, if_fql: input.if, actions: JSON.stringify(input.actions), enabled: input.enabled ? 1 : 0, created_at: at, updated_at: at })
        .execute()
      const created = toRecord(await tx.selectFrom('destination_filters').selectAll().where('id', '=', id).executeTakeFirstOrThrow())
      await recordAudit(tx, { type: 'Destination Filter Created', actor, resourceId: id, resourceType: 'Destination Filter', resourceName: created.title, after: created }, at)
      return created
    })
  }

  async get(destinationId: string, id: string): Promise<FilterRecord> {
    const row = await this.db.selectFrom('destination_filters').selectAll().where('destination_id', '=', destinationId).where('id', '=', id).executeTakeFirst()
    if (row === undefined) throw new NotFoundError('filter', id)
    return toRecord(row)
  }

  async list(destinationId: string): Promise<FilterRecord[]> {
    return (await this.db.selectFrom('destination_filters').selectAll().where('destination_id', '=', destinationId).orderBy('created_at').orderBy('id').execute()).map(toRecord)
  }

  async update(destinationId: string, id: string, patch: Partial<Omit<FilterInput, 'sourceId'>>, actor: string): Promise<FilterRecord> {
    if (patch.if !== undefined) compileFql(patch.if)
    return this.db.transaction().execute(async (tx) => {
      const row = await tx.selectFrom('destination_filters').selectAll().where('destination_id', '=', destinationId).where('id', '=', id).executeTakeFirst()
      if (row === undefined) throw new NotFoundError('filter', id)
      const at = this.now().toISOString()
      await tx
        .updateTable('destination_filters')
        .set({
          ...(patch.if === undefined ? {} : { if_fql: patch.if }),
          ...(patch.actions === undefined ? {} : { actions: JSON.stringify(patch.actions) }),
          ...(patch.title === undefined ? {} : { title: patch.title }),
          ...(patch.description === undefined ? {} : { description: patch.description }),
          ...(patch.enabled === undefined ? {} : { enabled: patch.enabled ? 1 : 0 }),
          updated_at: at,
        })
        .where('id', '=', id)
        .execute()
      const after = toRecord(await tx.selectFrom('destination_filters').selectAll().where('id', '=', id).executeTakeFirstOrThrow())
      await recordAudit(tx, { type: 'Destination Filter Updated', actor, resourceId: id, resourceType: 'Destination Filter', resourceName: after.title, before: toRecord(row), after }, at)
      return after
    })
  }

  async remove(destinationId: string, id: string, actor: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const row = await tx.selectFrom('destination_filters').selectAll().where('destination_id', '=', destinationId).where('id', '=', id).executeTakeFirst()
      if (row === undefined) throw new NotFoundError('filter', id)
      await tx.deleteFrom('destination_filters').where('id', '=', id).execute()
      await recordAudit(tx, { type: 'Destination Filter Deleted', actor, resourceId: id, resourceType: 'Destination Filter', resourceName: row.title, before: toRecord(row) }, this.now().toISOString())
    })
  }

  /** The destination's enabled filters, parsed, in order: what the pipeline applies. */
  async compiled(destinationId: string): Promise<CompiledFilter[]> {
    return (await this.list(destinationId)).filter((f) => f.enabled).map((f) => ({ id: f.id, title: f.title, ir: compileFql(f.if), actions: f.actions }))
  }
}
