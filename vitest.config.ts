import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// Separate from vite.config.ts so tests do not load the Remix plugin: they
// import loaders, actions and models directly.

/**
 * Files that measure time (sign-in timing, throttling windows) or load the
 * whole machine (kills under load, four server processes): they run after
 * everything else, one at a time, so neither they nor the rest see the
 * other's load. Everything else runs three files at once: integration files
 * spend most of their time waiting on servers, SMTP and PostgreSQL, so a
 * 2-core machine keeps busy, and each file has its own database.
 */
const ISOLATED = ['test/integration/abuse.test.ts', 'test/integration/faults.test.ts', 'test/integration/multi-instance.test.ts']

const integration = (engine: 'sqlite' | 'postgres', isolated: boolean) => ({
  extends: true as const,
  test: {
    name: `${isolated ? 'isolated' : 'integration'}-${engine}`,
    include: isolated ? ISOLATED : ['test/integration/**/*.test.ts'],
    exclude: isolated ? [] : ISOLATED,
    env: { TAKEBACK_TEST_DB: engine, NODE_ENV: 'test' as const },
    globalSetup: ['test/setup/global-database.ts'],
    setupFiles: ['test/setup/database.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    maxWorkers: isolated ? 1 : 3,
    sequence: { groupOrder: isolated ? 1 : 0 },
  },
})

export default defineConfig({
  resolve: { alias: { '~': fileURLToPath(new URL('./app', import.meta.url)) } },
  test: {
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], env: { NODE_ENV: 'test' as const }, maxWorkers: 3, sequence: { groupOrder: 0 } } },
      integration('sqlite', false),
      integration('postgres', false),
      integration('sqlite', true),
      integration('postgres', true),
    ],
  },
})
