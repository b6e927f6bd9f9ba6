// Destination filters applied to an event (spec section 8): each enabled filter whose FQL matches applies
// its actions in Segment's order (sample, drop, drop properties, allow properties). A filter whose FQL
// cannot be evaluated fails closed: the event is not sent.
import { createHash } from 'node:crypto'
import type { FqlNode } from './ast.js'
import { testFql } from './evaluate.js'

export type FilterAction =
  | { type: 'DROP' }
  | { type: 'DROP_PROPERTIES'; fields: Record<string, string[]> }
  | { type: 'ALLOW_PROPERTIES'; fields: Record<string, string[]> }
  | { type: 'SAMPLE'; percent: number; path?: string }

export interface CompiledFilter {
  id: string
  title: string
  ir: FqlNode
  actions: FilterAction[]
}

export type FilterOutcome =
  | { kept: true; event: Record<string, unknown> }
  | { kept: false; by: string; reason: 'dropped' | 'sampled out' | 'unresolvable'; detail?: string }

const ORDER: FilterAction['type'][] = ['SAMPLE', 'DROP', 'DROP_PROPERTIES', 'ALLOW_PROPERTIES']

function objectAt(event: Record<string, unknown>, path: string): Record<string, unknown> | undefined {
  let current: unknown = event
  for (const segment of path === '' ? [] : path.split('.')) {
    if (typeof current !== 'object' || current === null || Array.isArray(current) || !Object.hasOwn(current, segment)) return undefined
    current = (current as Record<string, unknown>)[segment]
  }
  return typeof current === 'object' && current !== null && !Array.isArray(current) ? (current as Record<string, unknown>) : undefined
}

/** Sampling by a path is deterministic (the same user is always in or out); without one it is random. */
function sampledIn(event: Record<string, unknown>, percent: number, path: string | undefined, random: () => number): boolean {
  if (path === undefined) return random() < percent
  const segments = path.split('.')
  let value: unknown = event
  for (const s of segments) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[s] : undefined
  const digest = createHash('md5').update(JSON.stringify(value ?? null)).digest()
  return digest.readUInt32BE(0) / 0x1_0000_0000 < percent
}

export function applyFilters(filters: CompiledFilter[], input: Record<string, unknown>, random: () => number = Math.random): FilterOutcome {
  let event = input
  for (const filter of filters) {
    const test = testFql(filter.ir, event)
    if (!test.ok) return { kept: false, by: filter.id, reason: 'unresolvable', detail: test.reason }
    if (!test.matches) continue
    const actions = [...filter.actions].sort((a, b) => ORDER.indexOf(a.type) - ORDER.indexOf(b.type))
    for (const action of actions) {
      switch (action.type) {
        case 'SAMPLE':
          if (!sampledIn(event, action.percent, action.path, random)) return { kept: false, by: filter.id, reason: 'sampled out' }
          break
        case 'DROP':
          return { kept: false, by: filter.id, reason: 'dropped' }
        case 'DROP_PROPERTIES':
        case 'ALLOW_PROPERTIES': {
          event = structuredClone(event)
          for (const [path, names] of Object.entries(action.fields)) {
            const target = objectAt(event, path)
            if (target === undefined) continue
            for (const key of Object.keys(target)) {
              const listed = names.includes(key)
              if (listed === (action.type === 'DROP_PROPERTIES')) delete target[key]
            }
          }
          break
        }
      }
    }
  }
  return { kept: true, event }
}
