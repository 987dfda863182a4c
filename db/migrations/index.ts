/**
 * Every migration, listed by name. A static list rather than a folder scan:
 * Kysely's FileMigrationProvider imports files at run time, which cannot load
 * `.ts` under Vite and vitest on Node 20, while a static import works the same
 * in dev, tests, the built server and the command line. A unit test checks
 * that every file in this folder is listed here.
 */
import type { Migration } from 'kysely'
import * as createSchema from './2026_11_26_1240_create_schema'

export const migrations: Record<string, Migration> = {
  '2026_11_26_1240_create_schema': createSchema,
}
