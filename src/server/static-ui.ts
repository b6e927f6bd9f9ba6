// Serves the built web UI (dist/web) at /. Unknown paths outside the APIs get index.html, so the UI's own
// routes survive a reload; /api, /v1 and /metrics keep their JSON 404s. Files are read into memory once at
// start (the whole UI is a few hundred KB), with the gzip copies the build wrote beside them.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { extname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ApiError } from './api-errors.js'

/** dist/web beside dist/src, where scripts/build.mjs puts the UI. */
export const DEFAULT_UI_DIR = fileURLToPath(new URL('../../web/', import.meta.url))

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
}

const API_PREFIXES = ['/api/', '/v1/', '/metrics']

interface StaticFile {
  body: Buffer
  gzip: Buffer | undefined
  type: string
  /** Vite names assets by content hash, so they never change under the same name. */
  immutable: boolean
}

function readTree(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>()
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name)
      if (statSync(path).isDirectory()) walk(path)
      else if (!name.endsWith('.gz')) {
        const url = `/${relative(dir, path).split('\\').join('/')}`
        files.set(url, {
          body: readFileSync(path),
          gzip: existsSync(`${path}.gz`) ? readFileSync(`${path}.gz`) : undefined,
          type: TYPES[extname(name)] ?? 'application/octet-stream',
          immutable: url.startsWith('/assets/'),
        })
      }
    }
  }
  walk(dir)
  return files
}

function send(req: FastifyRequest, reply: FastifyReply, file: StaticFile) {
  reply.header('content-type', file.type)
  reply.header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
  reply.header('vary', 'accept-encoding')
  if (file.gzip !== undefined && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
    return reply.header('content-encoding', 'gzip').send(file.gzip)
  }
  return reply.send(file.body)
}

export async function staticUi(app: FastifyInstance, options: { dir?: string }): Promise<void> {
  const dir = options.dir ?? DEFAULT_UI_DIR
  const files = existsSync(join(dir, 'index.html')) ? readTree(dir) : undefined
  app.get('/*', async (req, reply) => {
    const path = decodeURIComponent(req.url.split('?')[0]!)
    if (API_PREFIXES.some((p) => path.startsWith(p))) throw new ApiError('INSERTFN_NOT_FOUND', `no route ${req.method} ${path}`)
    if (files === undefined) {
      return reply.status(404).type('text/plain; charset=utf-8').send(`The web UI is not built (no ${join(dir, 'index.html')}). Run \`node scripts/build.mjs\`; the APIs at /api and /v1 work without it.\n`)
    }
    const file = files.get(path)
    if (file !== undefined) return send(req, reply, file)
    // A missing asset is a real 404; any other path is a route of the UI.
    if (path.startsWith('/assets/')) return reply.status(404).type('text/plain; charset=utf-8').send(`no file ${path}\n`)
    return send(req, reply, files.get('/index.html')!)
  })
}
