// A function file as the sandbox runs it (TypeScript transpiled by the CLI's reader), and the mapping of
// positions in the transpiled code back to the file the person wrote, for stack traces and load errors.
import type { SourceMap } from 'node:module'
import { basename } from 'node:path'
import { readFunctionCode, type FunctionSource } from '../cli/read-input.js'
import { UsageError } from '../cli/usage-error.js'
import type { FunctionLoadError } from '../runtime/index.js'

export type { FunctionSource } from '../cli/read-input.js'

/** Reads a .js or .ts function file; a missing file or a TypeScript syntax error is a plain Error. */
export async function loadFunctionSource(path: string): Promise<FunctionSource> {
  try {
    return await readFunctionCode(path)
  } catch (err) {
    throw err instanceof UsageError ? new Error(err.message) : err
  }
}

/** A 1-based position in transpiled code, as a 1-based position in the TypeScript source. */
function originalPosition(map: SourceMap, line: number, column: number): { line: number; column: number } | undefined {
  const entry = map.findEntry(line - 1, column - 1) as { originalLine?: number; originalColumn?: number }
  return entry.originalLine === undefined ? undefined : { line: entry.originalLine + 1, column: (entry.originalColumn ?? 0) + 1 }
}

/**
 * Rewrites `name.js:L:C` (the sandbox's file name for the code) in any text, a stack trace or a result's
 * JSON, to positions in the TypeScript file `path`. Text about plain JavaScript is returned as it is.
 */
export function mapPositions(text: string, name: string, path: string, source: FunctionSource): string {
  const map = source.map
  if (map === undefined) return text
  const sourceFile = basename(path)
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return text.replace(new RegExp(`${escaped}\\.js:(\\d+):(\\d+)`, 'g'), (match, l: string, c: string) => {
    const at = originalPosition(map, Number(l), Number(c))
    return at === undefined ? match : `${sourceFile}:${at.line}:${at.column}`
  })
}

/** A load error's message with its `(line L, column C)` pointing into the TypeScript source. */
export function loadErrorMessage(err: FunctionLoadError, source: FunctionSource): string {
  const at = err.line === undefined || source.map === undefined ? undefined : originalPosition(source.map, err.line, err.column ?? 1)
  return at === undefined ? err.message : err.message.replace(/\(line \d+, column \d+\)$/, `(line ${at.line}, column ${at.column})`)
}
