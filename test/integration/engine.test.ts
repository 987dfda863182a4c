import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { getConnection } from '../../app/lib/db.server'

// Guards the suite itself: each integration project must really run on its own engine.
describe('test database engine', () => {
  it('is the engine this project is named for', async () => {
    const { engine, db } = getConnection()
    expect(engine).toBe(process.env.TAKEBACK_TEST_DB)
    const version =
      engine === 'postgres'
        ? (await sql<{ v: string }>`select version() as v`.execute(db)).rows[0]!.v
        : (await sql<{ v: string }>`select sqlite_version() as v`.execute(db)).rows[0]!.v
    expect(version).toMatch(engine === 'postgres' ? /^PostgreSQL \d+/ : /^3\.\d+/)
  })
})
