// A function project folder, as `insertfn init` makes it: insertfn.json names the function, its kind, its
// code file and its settings schema, which is what `insertfn deploy` sends to the server.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { FunctionSetting } from '../server/schemas.js'
import { UsageError } from './usage-error.js'

export const MANIFEST = 'insertfn.json'

export const ProjectManifest = z.strictObject({
  /** The function's name on the server; deploy finds an existing function by it when functionId is absent. */
  displayName: z.string().trim().min(1).max(120),
  kind: z.enum(['insert', 'destination']).default('insert'),
  /** The function file, relative to the folder (.js or .ts). */
  code: z.string().min(1),
  description: z.string().max(2000).optional(),
  /** Pins the project to one function on the server (needed when several share the displayName). */
  functionId: z.string().min(1).optional(),
  settings: z.array(FunctionSetting).max(100).default([]),
})
export type ProjectManifest = z.infer<typeof ProjectManifest>

export async function readProject(dir: string, hint: string): Promise<ProjectManifest> {
  const path = join(dir, MANIFEST)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT'
    throw new UsageError(missing ? `${path} not found: is ${dir} a function project? (\`insertfn init\` makes one)` : `cannot read ${path}: ${(err as Error).message}`, hint)
  }
  let json: unknown
  try {
    json = JSON.parse(text) as unknown
  } catch (err) {
    throw new UsageError(`${path} is not valid JSON: ${(err as Error).message}`, hint)
  }
  const parsed = ProjectManifest.safeParse(json)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`).join('; ')
    throw new UsageError(`${path} is not a valid project file: ${problems}`, hint)
  }
  return parsed.data
}
