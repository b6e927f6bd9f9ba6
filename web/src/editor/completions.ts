// What the editor offers as you type: handler names, the runtime's globals and Segment event fields, read
// from the same `insertfn/types` declarations that function authors compile against (issue 7), so the
// editor and the types never disagree.
import type { CompletionContext, CompletionResult, Completion } from '@codemirror/autocomplete'
import type { CatalogEntry, CompletionCatalog } from '../../../src/toolkit/completion-catalog'
import generated from './catalog.generated.json'

// The catalog's shape is the generator's own (a type-only import: nothing of it reaches the bundle).
export type { CatalogEntry, CompletionCatalog } from '../../../src/toolkit/completion-catalog'

/** Generated at build time from types/*.d.ts (src/toolkit/completion-catalog.ts): what the types promise. */
export const RUNTIME_CATALOG: CompletionCatalog = generated

const toCompletion = (type: string) => (e: CatalogEntry): Completion => ({ label: e.name, detail: e.detail, info: e.info, type })

/** The completion source for the function editor, over any catalog. */
export function catalogCompletions(catalog: CompletionCatalog) {
  const handlers = catalog.handlers.map(toCompletion('function'))
  const globals = catalog.globals.map(toCompletion('variable'))
  const fields = catalog.eventFields.map(toCompletion('property'))
  const members = Object.fromEntries(Object.entries(catalog.members).map(([k, v]) => [k, v.map(toCompletion('method'))]))
  return (context: CompletionContext): CompletionResult | null => {
    // `something.partial`: event fields after an event-like name, members after a known global.
    const member = context.matchBefore(/[A-Za-z_$][\w$]*\.[\w$]*$/)
    if (member !== null) {
      const dot = member.text.indexOf('.')
      const owner = member.text.slice(0, dot)
      const options = members[owner] ?? (/^(event|e|evt|payload|message)$/.test(owner) ? fields : undefined)
      if (options === undefined) return null
      return { from: member.from + dot + 1, options, validFor: /^[\w$]*$/ }
    }
    const word = context.matchBefore(/[A-Za-z_$][\w$]*$/)
    if (word === null && !context.explicit) return null
    return { from: word?.from ?? context.pos, options: [...handlers, ...globals], validFor: /^[\w$]*$/ }
  }
}
