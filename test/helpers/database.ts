import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { inject } from 'vitest'
import type { Env } from '../../app/lib/env.server'
import { adminQuery } from '../setup/postgres'

const TEMPLATE = 'takeback_template'

export interface TestDatabase {
  config: Env['database']
  /** What DATABASE_URL would say for this database. */
  url: string
  drop(): Promise<void>
}

/**
 * A new database of the engine this test project runs on: a copy of the
 * migrated template, or an empty one (for migration tests).
 */
export async function createTestDatabase(from: 'migrated' | 'empty' = 'migrated'): Promise<TestDatabase> {
  const engine = inject('engine')
  const source = inject('databaseSource')
  const name = `t_${crypto.randomBytes(6).toString('hex')}`
  if (engine === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'takeback-test-'))
    const file = path.join(dir, `${name}.db`)
    if (from === 'migrated') fs.copyFileSync(source, file)
    return {
      config: { engine: 'sqlite', file },
      url: file,
      drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
    }
  }
  await adminQuery(source, from === 'migrated' ? `create database ${name} template ${TEMPLATE}` : `create database ${name}`)
  const url = source.replace(/\/postgres$/, `/${name}`)
  return {
    config: { engine: 'postgres', url },
    url,
    drop: () => adminQuery(source, `drop database if exists ${name} with (force)`),
  }
}
