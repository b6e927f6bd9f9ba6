// Reading the files a command is given: JSON events and settings, and function code (TypeScript is
// transpiled first, with esbuild).
import { readFile } from 'node:fs/promises'
import { SourceMap, type SourceMapPayload } from 'node:module'
import { extname } from 'node:path'
import { transform } from 'esbuild'
import { z } from 'zod'
import { UsageError } from './usage-error.js'

async function readText(path: string, what: string): Promise<string> {
  if (path === '-') {
    const chunks: Buffer[] = []
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks).toString('utf8')
  }
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`)
  }
}

async function readJson(path: string, what: string): Promise<unknown> {
  const text = await readText(path, what)
  try {
    return JSON.parse(text) as unknown
  } catch (err) {
    throw new UsageError(`${what} ${path === '-' ? '(standard input)' : path} is not valid JSON: ${(err as Error).message}`)
  }
}

const EventSchema = z.record(z.string(), z.unknown())
const EventsSchema = z.union([EventSchema, z.array(EventSchema).max(10_000)])

/** One event object, or an array of them (a batch). */
export async function readEvents(path: string): Promise<Record<string, unknown> | Record<string, unknown>[]> {
  const value = await readJson(path, '--event')
  const parsed = EventsSchema.safeParse(value)
  if (!parsed.success) throw new UsageError(`--event must hold an event object or an array of event objects, not ${describe(value)}`)
  return parsed.data
}

export async function readSettings(path: string | undefined): Promise<Record<string, unknown>> {
  if (path === undefined) return {}
  const value = await readJson(path, '--settings')
  const parsed = EventSchema.safeParse(value)
  if (!parsed.success) throw new UsageError(`--settings must hold an object of setting names and values, not ${describe(value)}`)
  return parsed.data
}

export interface FunctionSource {
  code: string
  /** For TypeScript: maps positions in `code` back to the file the person wrote. */
  map?: SourceMap
}

/** The function's code as JavaScript: TypeScript files are transpiled (types removed, nothing bundled). */
export async function readFunctionCode(path: string): Promise<FunctionSource> {
  const text = await readText(path, 'function file')
  if (!['.ts', '.mts', '.cts'].includes(extname(path))) return { code: text }
  try {
    const out = await transform(text, { loader: 'ts', target: 'es2022', sourcefile: path, sourcemap: 'external' })
    return { code: out.code, map: new SourceMap(JSON.parse(out.map) as SourceMapPayload) }
  } catch (err) {
    throw new UsageError(`cannot transpile ${path}: ${(err as Error).message}`)
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array of something else'
  return `a ${typeof value}`
}
