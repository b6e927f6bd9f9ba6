// The web UI's build (run by scripts/build.mjs into dist/web). `npx vite web` serves it with hot reload and
// forwards the APIs to an `insertfn start` on port 4000.
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

const api = process.env.INSERTFN_URL ?? 'http://127.0.0.1:4000'

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: false,
    chunkSizeWarningLimit: 1024,
  },
  server: { proxy: { '/api': api, '/v1': api } },
})
