/// <reference types="vitest/config" />
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import AutoImport from 'unplugin-auto-import/vite'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'

// The Rust server serves web/dist at `/` and the API at `/api`; in development, vite proxies
// the API to a running `minsheng serve` (MINSHENG_API, default http://127.0.0.1:8080).
const api = process.env.MINSHENG_API ?? 'http://127.0.0.1:8080'

export default defineConfig({
  base: '/',
  plugins: [
    vue(),
    // Element Plus on demand: components and their styles are imported where they are used.
    AutoImport({ resolvers: [ElementPlusResolver()], dts: false }),
    Components({ resolvers: [ElementPlusResolver()], dts: false }),
  ],
  server: {
    proxy: { '/api': api, '/healthz': api },
  },
  preview: {
    proxy: { '/api': api, '/healthz': api },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Default code splitting: each page loads only the Element Plus components it uses.
    rollupOptions: {
      output: {
        // ECharts in a chunk of its own, loaded only by the dashboard and the big screen.
        manualChunks: (id) => (/[\\/]node_modules[\\/](echarts|zrender)[\\/]/.test(id) ? 'echarts' : undefined),
      },
    },
    // That chunk is ~600 kB (~200 kB gzip) even tree-shaken; it is lazy, so the warning is moot.
    chunkSizeWarningLimit: 700,
  },
  test: {
    environment: 'node',
    include: ['tests/**/*.test.ts'],
    // Components are rendered to strings in tests (vue/server-renderer): Element Plus goes through
    // vite so that its on-demand style imports (.css) are handled.
    server: { deps: { inline: ['element-plus'] } },
  },
})
