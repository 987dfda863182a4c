/**
 * Once per integration project: a migrated template database, so each test
 * file can start from a fresh copy in milliseconds instead of migrating again.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { TestProject } from 'vitest/node'
import { migrateToLatest } from '../../db/migrator'
import { connect } from '../../app/lib/db.server'
import { adminQuery, startPostgres } from './postgres'

export const TEMPLATE = 'takeback_template'

declare module 'vitest' {
  export interface ProvidedContext {
    engine: 'sqlite' | 'postgres'
    /** SQLite: path of the migrated template file. PostgreSQL: the admin URL. */
    databaseSource: string
  }
}

export default async function setup(project: TestProject) {
  // Vitest gives a project's test.env to its workers, not to globalSetup: read it from the config.
  const engine = (project.config.env?.TAKEBACK_TEST_DB ?? process.env.TAKEBACK_TEST_DB) === 'postgres' ? 'postgres' : 'sqlite'
  project.provide('engine', engine)

  if (engine === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'takeback-sqlite-'))
    const file = path.join(dir, 'template.db')
    const conn = connect({ engine: 'sqlite', file })
    await migrateToLatest(conn.db)
    await conn.close()
    project.provide('databaseSource', file)
    return () => fs.rmSync(dir, { recursive: true, force: true })
  }

  const server = await startPostgres()
  await adminQuery(server.adminUrl, `create database ${TEMPLATE}`)
  const conn = connect({ engine: 'postgres', url: server.urlFor(TEMPLATE) }, { poolSize: 1 })
  await migrateToLatest(conn.db)
  await conn.close()
  project.provide('databaseSource', server.adminUrl)
  return () => server.stop()
}
