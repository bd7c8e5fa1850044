/// <reference types="vitest/config" />
import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'

// `npm run dev` proxies the bridge's API and WebSocket; the built app is served by the bridge.
const bridge = process.env.REACHY_MINI_BRIDGE ?? 'http://127.0.0.1:8000'

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      '/api': { target: bridge, changeOrigin: true },
      '/system': { target: bridge, changeOrigin: true },
      '/openapi.json': { target: bridge, changeOrigin: true },
      '/docs': { target: bridge, changeOrigin: true },
      // The bridge accepts WebSocket handshakes from its own origin: present the proxied ones so.
      '/ws': { target: bridge.replace(/^http/, 'ws'), ws: true, changeOrigin: true, headers: { origin: bridge } },
    },
  },
  build: { outDir: 'dist', sourcemap: false },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test/setup.ts'],
    testTimeout: 20000,
    hookTimeout: 20000,
  },
})
