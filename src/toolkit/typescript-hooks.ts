// Module hooks that let Node 20 import .ts test files: esbuild removes the types (nothing is bundled or
// type-checked), with an inline source map so failures point at the .ts lines.
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { transform } from 'esbuild'

interface LoadContext {
  format?: string | null | undefined
}
interface LoadResult {
  format: string
  source: string
  shortCircuit?: boolean
}
type NextLoad = (url: string, context: LoadContext) => Promise<LoadResult>

const TYPESCRIPT = /\.m?ts$/

export async function load(url: string, context: LoadContext, nextLoad: NextLoad): Promise<LoadResult> {
  if (!url.startsWith('file:') || !TYPESCRIPT.test(new URL(url).pathname)) return nextLoad(url, context)
  const path = fileURLToPath(url)
  const out = await transform(await readFile(path, 'utf8'), { loader: 'ts', format: 'esm', target: 'es2022', sourcefile: path, sourcemap: 'inline' })
  return { format: 'module', source: out.code, shortCircuit: true }
}
