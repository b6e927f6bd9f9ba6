// Store records as the Segment Public API shows them.
import type { FunctionRecord, VersionRecord } from '../store/function-store.js'

/** Segment forms batches of up to 20 events by default (spec section 6). */
const BATCH_MAX_COUNT = 20

export function functionV1(f: FunctionRecord) {
  return {
    id: f.id,
    resourceType: f.resourceType,
    createdAt: f.createdAt,
    createdBy: f.createdBy,
    code: f.latest.code,
    deployedAt: f.deployedAt,
    settings: f.latest.settings,
    displayName: f.displayName,
    description: f.description,
    ...(f.logoUrl === null ? {} : { logoUrl: f.logoUrl }),
    batchMaxCount: BATCH_MAX_COUNT,
    isLatestVersion: f.deployedVersionId === null || f.deployedVersionId === f.latest.id,
  }
}

export function listItemV1(f: FunctionRecord) {
  return {
    id: f.id,
    resourceType: f.resourceType,
    createdAt: f.createdAt,
    createdBy: f.createdBy,
    displayName: f.displayName,
    description: f.description,
    ...(f.logoUrl === null ? {} : { logoUrl: f.logoUrl }),
  }
}

export function versionAlpha(v: VersionRecord, f: Pick<FunctionRecord, 'deployedVersionId' | 'deployedAt'>) {
  const isDeployed = f.deployedVersionId === v.id
  return {
    id: v.id,
    author: v.author,
    code: v.code,
    isDeployed,
    createdAt: v.createdAt,
    updatedAt: v.createdAt,
    ...(isDeployed && f.deployedAt !== null ? { deployedAt: f.deployedAt } : {}),
  }
}

export function paginationOutput(current: string | undefined, next: string | undefined, totalEntries?: number) {
  return { current: current ?? '', ...(next === undefined ? {} : { next }), ...(totalEntries === undefined ? {} : { totalEntries }) }
}
