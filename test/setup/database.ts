/**
 * Before each integration test file: a fresh migrated database of this
 * project's engine, made the app's own through DATABASE_URL, so tests call
 * real loaders, actions and models against it.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll } from 'vitest'
import { getConnection } from '../../app/lib/db.server'
import { forgetSingleton } from '../../app/lib/singleton.server'
import { createTestDatabase } from '../helpers/database'

const database = await createTestDatabase('migrated')
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'takeback-data-'))
process.env.DATABASE_URL = database.url
process.env.DATA_DIR = dataDir
forgetSingleton('env')
forgetSingleton('db')

afterAll(async () => {
  await getConnection().close()
  forgetSingleton('db')
  await database.drop()
  fs.rmSync(dataDir, { recursive: true, force: true })
})
