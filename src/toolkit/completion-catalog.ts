// The web editor's completions, read from the insertfn/types declarations (types/*.d.ts), so the editor
// offers exactly what the types promise: handler names, the sandbox's globals with their signatures,
// the members of the global objects, and the fields of Segment events, each with its doc comment.
// It runs at build time (scripts/build.mjs writes the result for the UI); TypeScript parses, nothing runs.
import ts from 'typescript'

export interface CatalogEntry {
  name: string
  /** Shown beside the name: a signature or a type. */
  detail: string
  info: string
}

export interface CompletionCatalog {
  handlers: CatalogEntry[]
  globals: CatalogEntry[]
  /** Fields of a Segment event (of any type), as `event.<name>`. */
  eventFields: CatalogEntry[]
  /** Members of global objects, e.g. crypto.createHash. */
  members: Record<string, CatalogEntry[]>
}

/** What a declaration's doc comment says, on one line. */
function docOf(node: ts.Node): string {
  const docs = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc)
  const comment = docs.at(-1)?.comment
  const said = typeof comment === 'string' ? comment : (comment ?? []).map((c) => c.text).join('')
  return said.replace(/\s+/g, ' ').trim()
}

const text = (node: ts.Node | undefined, source: ts.SourceFile) => (node === undefined ? '' : node.getText(source).replace(/\s+/g, ' '))

function signature(node: ts.SignatureDeclarationBase, source: ts.SourceFile): string {
  return `(${node.parameters.map((p) => text(p, source)).join(', ')})${node.type ? `: ${text(node.type, source)}` : ''}`
}

/** `files`: the declaration files by name (index.d.ts, globals.d.ts, events.d.ts). */
export function catalogFromDeclarations(files: Record<string, string>): CompletionCatalog {
  const handlers: CatalogEntry[] = []
  const globals = new Map<string, CatalogEntry>()
  const interfaces = new Map<string, { node: ts.InterfaceDeclaration; source: ts.SourceFile }[]>()
  const globalTypes = new Map<string, string>()
  for (const [name, content] of Object.entries(files)) {
    const source = ts.createSourceFile(name, content, ts.ScriptTarget.ES2022, true)
    for (const statement of source.statements) {
      if (ts.isInterfaceDeclaration(statement)) {
        const list = interfaces.get(statement.name.text) ?? []
        list.push({ node: statement, source })
        interfaces.set(statement.name.text, list)
      } else if (ts.isFunctionDeclaration(statement) && statement.name !== undefined) {
        const entry = { name: statement.name.text, detail: signature(statement, source), info: docOf(statement) }
        if (/^on[A-Z]/.test(entry.name)) {
          if (!handlers.some((h) => h.name === entry.name)) handlers.push({ ...entry, info: entry.info || `Called for each ${entry.name.slice(2).toLowerCase()} event. Return the event to pass it on, nothing to drop it.` })
        } else if (!globals.has(entry.name)) globals.set(entry.name, entry)
      } else if (ts.isClassDeclaration(statement) && statement.name !== undefined) {
        const isError = statement.heritageClauses?.some((h) => h.types.some((t) => text(t.expression, source) === 'Error')) === true
        globals.set(statement.name.text, { name: statement.name.text, detail: isError ? 'error class' : 'class', info: docOf(statement) })
      } else if (ts.isVariableStatement(statement)) {
        for (const d of statement.declarationList.declarations) {
          if (!ts.isIdentifier(d.name)) continue
          globals.set(d.name.text, { name: d.name.text, detail: text(d.type, source) || 'object', info: docOf(statement) })
          if (d.type !== undefined) globalTypes.set(d.name.text, text(d.type, source))
        }
      }
    }
  }

  const membersOf = (typeName: string, seen = new Set<string>()): CatalogEntry[] => {
    if (seen.has(typeName)) return []
    seen.add(typeName)
    const out = new Map<string, CatalogEntry>()
    for (const { node, source } of interfaces.get(typeName) ?? []) {
      for (const base of node.heritageClauses?.flatMap((h) => h.types) ?? []) for (const e of membersOf(text(base.expression, source), seen)) out.set(e.name, e)
      for (const m of node.members) {
        if (m.name === undefined || !(ts.isIdentifier(m.name) || ts.isStringLiteral(m.name))) continue
        const name = m.name.text
        const detail = ts.isMethodSignature(m) ? signature(m, source) : ts.isPropertySignature(m) ? text(m.type, source) : ''
        if (!out.has(name)) out.set(name, { name, detail, info: docOf(m) })
      }
    }
    return [...out.values()]
  }

  const members: Record<string, CatalogEntry[]> = {}
  for (const [name, type] of globalTypes) {
    const list = membersOf(type)
    if (list.length > 0) members[name] = list
  }
  // Every field any event type has: the base's, then each type's own.
  const eventFields = new Map<string, CatalogEntry>()
  for (const typeName of [...interfaces.keys()].filter((n) => n === 'SegmentEventBase' || /^Segment[A-Z][a-z]+Event$/.test(n))) {
    for (const e of membersOf(typeName)) if (!eventFields.has(e.name)) eventFields.set(e.name, e)
  }
  // lodash's `_` comes from @types/lodash, which globals.d.ts references rather than declares.
  if (Object.values(files).some((f) => f.includes('<reference types="lodash" />')) && !globals.has('_')) {
    globals.set('_', { name: '_', detail: 'lodash 4', info: 'The lodash library, as in Segment\'s runtime.' })
  }
  return { handlers, globals: [...globals.values()], eventFields: [...eventFields.values()], members }
}
