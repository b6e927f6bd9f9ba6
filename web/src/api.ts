// The management API under /api, called with the signed-in token. Errors carry the server's own message
// (written for people) and the field it names, so a screen can show them next to the control at fault.

// What a test run returns is the runtime's own result, as JSON (type-only: nothing of the runtime reaches the bundle).
import type { ErrorInfo, InvocationResult, LogLine, RequestRecord } from '../../src/runtime/result'
export type { ErrorInfo, InvocationResult, LogLine, RequestRecord }
// A function's kind and settings are the store's own shapes, from a module with no imports.
import type { FunctionSetting, ResourceType, SettingType } from '../../src/store/function-types'
export type { FunctionSetting, ResourceType, SettingType }

export type Permission = 'functions:read' | 'functions:write' | 'functions:deploy' | 'sources:read' | 'sources:write' | 'audit:read'

export interface Me {
  token: { id: string; name: string; roles: string[] }
  permissions: Permission[]
}

export interface FunctionSummary {
  id: string
  resourceType: ResourceType
  displayName: string
  description: string
  logoUrl?: string
  createdAt: string
  createdBy: string
}

export interface FunctionDetail extends FunctionSummary {
  code: string
  settings: FunctionSetting[]
  deployedAt: string | null
  isLatestVersion: boolean
}

export interface Version {
  id: string
  author: string
  code: string
  isDeployed: boolean
  createdAt: string
  deployedAt?: string
}

export interface Source {
  id: string
  slug: string
  name: string
  enabled: boolean
  writeKeys: string[]
}

export interface Destination {
  id: string
  name: string
  enabled: boolean
  sourceId: string
  metadata: { id: 'webhook' | 'function'; name: string }
  settings: Record<string, unknown>
}

export interface Instance {
  id: string
  name: string
  integrationId: string
  classId: string
  enabled: boolean
  settings: Record<string, unknown>
  encryptedSettings: Record<string, unknown>
}

export interface DeliveryRecord {
  id: string
  messageId: string
  status: 'delivered' | 'filtered' | 'retrying' | 'failed'
  detail: string
  reason: string | null
  attempt: number
  at: string
  event: unknown
  /** The event as sent to the destination when the insert function (or a filter) changed it, else null. */
  sent: unknown
  trace: { logs?: LogLine[]; requests?: RequestRecord[] } | null
}

export interface DeliveryMetrics {
  totals: Record<string, number>
  byDetail: Record<string, Record<string, number>>
  buckets: { bucket: string; status: string; detail: string; count: number }[]
}

export interface AuditEvent {
  id: string
  timestamp: string
  type: string
  actor: string
  resourceId: string
  resourceType: string
  resourceName: string
  before: unknown
  after: unknown
}

export interface CodeCheck {
  loads: boolean
  error?: { message: string; line?: number; column?: number }
}

export class ApiProblem extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly field?: string,
  ) {
    super(message)
    this.name = 'ApiProblem'
  }
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE'

export class Api {
  constructor(readonly token: string) {}

  async call<T>(method: Method, path: string, body?: unknown): Promise<T> {
    let res: Response
    try {
      res = await fetch(`/api${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
    } catch {
      throw new ApiProblem('Could not reach the insertfn server. Is it running?', 0)
    }
    const json = (await res.json().catch(() => ({}))) as { data?: T; errors?: { message: string; field?: string }[] }
    if (!res.ok) {
      const e = json.errors?.[0]
      throw new ApiProblem(e?.message ?? `The server answered ${res.status}.`, res.status, e?.field)
    }
    return json.data as T
  }

  me = () => this.call<Me>('GET', '/me')

  // Functions
  listFunctions = async (resourceType: ResourceType) =>
    (await this.call<{ functions: FunctionSummary[] }>('GET', `/functions?resourceType=${resourceType}&pagination[count]=1000`)).functions
  getFunction = async (id: string) => (await this.call<{ function: FunctionDetail }>('GET', `/functions/${id}`)).function
  createFunction = async (input: { resourceType: ResourceType; displayName: string; description: string; code: string; settings: FunctionSetting[]; logoUrl?: string }) =>
    (await this.call<{ function: FunctionDetail }>('POST', '/functions', input)).function
  updateFunction = async (id: string, input: Partial<{ displayName: string; description: string; code: string; settings: FunctionSetting[]; logoUrl: string }>) =>
    (await this.call<{ function: FunctionDetail }>('PATCH', `/functions/${id}`, input)).function
  deployFunction = (id: string, instanceIds?: string[]) => this.call('POST', `/functions/${id}/deploy`, instanceIds === undefined ? {} : { instanceIds })
  versions = async (id: string) => (await this.call<{ versions: Version[] }>('GET', `/functions/${id}/versions?pagination[count]=1000`)).versions
  restoreVersion = (id: string, versionId: string) => this.call('POST', `/functions/${id}/versions`, { versionId })
  checkCode = (code: string, resourceType: ResourceType) => this.call<CodeCheck>('POST', '/functions/check', { code, resourceType })
  preview = async (code: string, resourceType: ResourceType, event: Record<string, unknown>, settings: Record<string, unknown>) =>
    (await this.call<{ result: InvocationResult }>('POST', '/functions/preview', { code, resourceType, event, settings })).result

  // Sources, destinations, instances
  listSources = async () => (await this.call<{ sources: Source[] }>('GET', '/sources?pagination[count]=1000')).sources
  createSource = async (slug: string, name: string) => (await this.call<{ source: Source }>('POST', '/sources', { slug, name, enabled: true, metadataId: 'http' })).source
  listDestinations = async () => (await this.call<{ destinations: Destination[] }>('GET', '/destinations?pagination[count]=1000')).destinations
  getDestination = async (id: string) => (await this.call<{ destination: Destination }>('GET', `/destinations/${id}`)).destination
  createDestination = async (input: { sourceId: string; metadataId: 'webhook' | 'function'; name: string; settings: Record<string, unknown> }) =>
    (await this.call<{ destination: Destination }>('POST', '/destinations', input)).destination
  updateDestination = async (id: string, input: { enabled?: boolean; name?: string }) =>
    (await this.call<{ destination: Destination }>('PATCH', `/destinations/${id}`, input)).destination
  listInstances = async (functionId: string) => (await this.call<{ instances: Instance[] }>('GET', `/insert-function-instances?functionId=${functionId}&pagination[count]=1000`)).instances
  createInstance = async (input: { functionId: string; integrationId: string; name: string; enabled: boolean; settings: Record<string, unknown> }) =>
    (await this.call<{ insertFunctionInstance: Instance }>('POST', '/insert-function-instances', input)).insertFunctionInstance
  updateInstance = async (id: string, input: { enabled?: boolean; settings: Record<string, unknown> }) =>
    (await this.call<{ insertFunctionInstance: Instance }>('PATCH', `/insert-function-instances/${id}`, input)).insertFunctionInstance

  // Filters
  listFilters = async (destinationId: string) => (await this.call<{ filters: { id: string; title: string; if: string; enabled: boolean }[] }>('GET', `/destination/${destinationId}/filters`)).filters
  createFilter = (destinationId: string, input: { sourceId: string; title: string; if: string; enabled: boolean }) =>
    this.call('POST', `/destination/${destinationId}/filters`, { ...input, actions: [{ type: 'DROP' }] })
  previewFilter = (fql: string, payload: Record<string, unknown>) =>
    this.call<{ result: Record<string, unknown> | null }>('POST', '/destination/filters/preview', { filter: { if: fql, actions: [{ type: 'DROP' }] }, payload })

  // Delivery
  deliveryMetrics = (destinationId: string, startTime: string) => this.call<DeliveryMetrics>('GET', `/destinations/${destinationId}/delivery-metrics?startTime=${encodeURIComponent(startTime)}`)
  deliveryEvents = async (destinationId: string, status?: string) =>
    (await this.call<{ events: DeliveryRecord[] }>('GET', `/destinations/${destinationId}/events?pagination[count]=50${status === undefined ? '' : `&status=${status}`}`)).events
  /** All failed events of a destination, or one by its messageId. */
  replay = async (destinationId: string, only?: { messageId: string }) => (await this.call<{ replayed: number }>('POST', `/destinations/${destinationId}/replay`, only ?? {})).replayed

  auditEvents = async () => (await this.call<{ events: AuditEvent[] }>('GET', '/audit-events?pagination[count]=200')).events
}
