import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// Separate from vite.config.ts so tests do not load the Remix plugin: they
// import loaders, actions and models directly.
const integration = (engine: 'sqlite' | 'postgres') => ({
  extends: true as const,
  test: {
    name: `integration-${engine}`,
    include: ['test/integration/**/*.test.ts'],
    env: { TAKEBACK_TEST_DB: engine, NODE_ENV: 'test' as const },
    globalSetup: ['test/setup/global-database.ts'],
    setupFiles: ['test/setup/database.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})

export default defineConfig({
  resolve: { alias: { '~': fileURLToPath(new URL('./app', import.meta.url)) } },
  test: {
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], env: { NODE_ENV: 'test' as const } } },
      integration('sqlite'),
      integration('postgres'),
    ],
  },
})
