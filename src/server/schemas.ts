// Request bodies of the management API, validated at the edge. Field names follow the Segment Public API;
// unknown fields are refused, so a typo is an error naming the field rather than a silently ignored value.
import { z } from 'zod'
import { ApiError } from './api-errors.js'

export const MAX_CODE_BYTES = 1024 * 1024

const code = z.string().refine((c) => Buffer.byteLength(c) <= MAX_CODE_BYTES, { message: `code must be at most ${MAX_CODE_BYTES} bytes (1 MB)` })

export const FunctionSetting = z.strictObject({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,99}$/, 'name must be an identifier (letters, digits, _) of at most 100 characters'),
  label: z.string().min(1).max(200),
  description: z.string().max(2000),
  type: z.enum(['STRING', 'BOOLEAN', 'ARRAY', 'TEXT_MAP']),
  required: z.boolean(),
  sensitive: z.boolean(),
})

const settings = z
  .array(FunctionSetting)
  .max(100)
  .refine((list) => new Set(list.map((s) => s.name)).size === list.length, { message: 'setting names must be unique' })

export const CreateFunctionInput = z.strictObject({
  code,
  displayName: z.string().trim().min(1).max(120),
  resourceType: z.enum(['INSERT_DESTINATION', 'DESTINATION', 'SOURCE']),
  settings: settings.optional(),
  description: z.string().max(2000).optional(),
  logoUrl: z.string().url().max(2000).optional(),
})

export const UpdateFunctionInput = z.strictObject({
  code: code.optional(),
  displayName: z.string().trim().min(1).max(120).optional(),
  settings: settings.optional(),
  description: z.string().max(2000).optional(),
  logoUrl: z.string().url().max(2000).optional(),
})

export const RestoreVersionInput = z.strictObject({ versionId: z.string().min(1) })

export const DeployInput = z.strictObject({ instanceIds: z.array(z.string()).optional() }).optional()

const event = z.record(z.string(), z.unknown())
export const PreviewInput = z
  .strictObject({
    event: event.optional(),
    events: z.array(event).max(1000).optional(),
    settings: z.record(z.string(), z.unknown()).optional(),
  })
  .refine((p) => (p.event === undefined) !== (p.events === undefined), { message: 'give either event or events', path: ['event'] })

export const InlinePreviewInput = z
  .strictObject({
    code,
    resourceType: z.enum(['INSERT_DESTINATION', 'DESTINATION']).default('INSERT_DESTINATION'),
    event: event.optional(),
    events: z.array(event).max(1000).optional(),
    settings: z.record(z.string(), z.unknown()).optional(),
  })
  .refine((p) => (p.event === undefined) !== (p.events === undefined), { message: 'give either event or events', path: ['event'] })

/**
 * Segment's SDK sends pagination as pagination[count] and pagination[cursor]; dotted keys are accepted too.
 * A count outside 1 to 1000 is a 400 naming pagination.count.
 */
export function pagination(query: Record<string, unknown>): { count: number; cursor?: string } {
  const raw = query['pagination[count]'] ?? query['pagination.count']
  const cursor = query['pagination[cursor]'] ?? query['pagination.cursor']
  const count = raw === undefined ? 10 : Number(raw)
  if (!Number.isInteger(count) || count < 1 || count > 1000) {
    throw new ApiError('INSERTFN_VALIDATION', 'pagination.count must be a whole number from 1 to 1000', 'pagination.count')
  }
  return { count, ...(typeof cursor === 'string' && cursor !== '' ? { cursor } : {}) }
}

const settingsObject = z.record(z.string(), z.unknown())

export const CreateSourceInput = z.strictObject({
  slug: z.string(),
  enabled: z.boolean(),
  /** Every insertfn source is an HTTP tracking API source; the catalog id is kept for compatibility only. */
  metadataId: z.string().min(1),
  name: z.string().min(1).max(200).optional(),
  settings: settingsObject.optional(),
})
export const UpdateSourceInput = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  enabled: z.boolean().optional(),
  slug: z.string().optional(),
  settings: settingsObject.optional(),
})
export const CreateDestinationInput = z.strictObject({
  sourceId: z.string().min(1),
  metadataId: z.string().min(1),
  enabled: z.boolean().optional(),
  name: z.string().min(1).max(200).optional(),
  settings: settingsObject,
})
export const UpdateDestinationInput = z.strictObject({
  name: z.string().min(1).max(200).nullable().optional(),
  enabled: z.boolean().optional(),
  settings: settingsObject.optional(),
})
export const CreateInstanceInput = z.strictObject({
  functionId: z.string().min(1),
  integrationId: z.string().min(1),
  name: z.string().min(1).max(200),
  enabled: z.boolean().optional(),
  settings: settingsObject,
})
export const UpdateInstanceInput = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  enabled: z.boolean().optional(),
  settings: settingsObject,
})

const fieldsMap = z.record(z.string(), z.array(z.string()).max(200))
export const FilterAction = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('DROP') }),
  z.strictObject({ type: z.literal('DROP_PROPERTIES'), fields: fieldsMap }),
  z.strictObject({ type: z.literal('ALLOW_PROPERTIES'), fields: fieldsMap }),
  z.strictObject({ type: z.literal('SAMPLE'), percent: z.number().min(0).max(1), path: z.string().min(1).optional() }),
])
const actions = z.array(FilterAction).min(1).max(10)
export const CreateFilterInput = z.strictObject({
  sourceId: z.string().min(1),
  if: z.string().min(1),
  actions,
  title: z.string().min(1).max(64),
  description: z.string().max(2000).optional(),
  enabled: z.boolean(),
})
export const UpdateFilterInput = z.strictObject({
  if: z.string().min(1).optional(),
  actions: actions.optional(),
  title: z.string().min(1).max(64).optional(),
  description: z.string().max(2000).nullable().optional(),
  enabled: z.boolean().optional(),
})
export const PreviewFilterInput = z.strictObject({
  filter: z.strictObject({ if: z.string().min(1), actions }),
  payload: z.record(z.string(), z.unknown()),
})
