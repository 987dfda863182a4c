import { vitePlugin as remix } from '@remix-run/dev'
import { defineConfig } from 'vite'
import { fileURLToPath } from 'node:url'

declare module '@remix-run/node' {
  interface Future {
    v3_singleFetch: true
  }
}

export default defineConfig({
  resolve: { alias: { '~': fileURLToPath(new URL('./app', import.meta.url)) } },
  server: { host: '127.0.0.1' },
  build: {
    // Every byte the survivor's browser loads comes from our own origin, so
    // there is nothing to gain from inlining assets as data: URLs, and the
    // Content-Security-Policy stays simpler without them.
    assetsInlineLimit: 0,
    rollupOptions: {
      onwarn(warning, warn) {
        // Third-party annotation comments Rollup cannot place, and the empty
        // client chunk of a resource route: noise that hides real warnings.
        if (warning.code === 'INVALID_ANNOTATION' && warning.id?.includes('node_modules')) return
        if (warning.code === 'EMPTY_BUNDLE') return
        warn(warning)
      },
    },
  },
  plugins: [
    remix({
      future: {
        v3_fetcherPersist: true,
        v3_relativeSplatPath: true,
        v3_throwAbortReason: true,
        v3_lazyRouteDiscovery: true,
        v3_singleFetch: true,
      },
    }),
  ],
})
