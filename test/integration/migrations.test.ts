import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { connect } from '../../app/lib/db.server'
import { migrateDown, migrateToEmpty, migrateToLatest, migrationStatus } from '../../db/migrator'
import { migrations } from '../../db/migrations/index'
import { createTestDatabase } from '../helpers/database'

async function tableNames(db: ReturnType<typeof connect>['db']): Promise<string[]> {
  const tables = await db.introspection.getTables()
  return tables.map((t) => t.name).sort()
}

describe('migrations', () => {
  it('migrate up, down to nothing, and up again leaves the same schema', async () => {
    const database = await createTestDatabase('empty')
    const conn = connect(database.config, { poolSize: 2 })
    try {
      const first = await migrateToLatest(conn.db)
      expect(first).toEqual(Object.keys(migrations).map((n) => `applied ${n}`))
      const tablesAfterUp = await tableNames(conn.db)
      expect(tablesAfterUp).toContain('survivor_case')
      expect(tablesAfterUp).toContain('audit_log')

      // Running again changes nothing.
      expect(await migrateToLatest(conn.db)).toEqual([])

      const down = await migrateDown(conn.db)
      expect(down).toHaveLength(1)
      await migrateToEmpty(conn.db)
      expect(await tableNames(conn.db)).toEqual([])
      expect((await migrationStatus(conn.db)).every((m) => m.executedAt === undefined)).toBe(true)

      await migrateToLatest(conn.db)
      expect(await tableNames(conn.db)).toEqual(tablesAfterUp)
    } finally {
      await conn.close()
      await database.drop()
    }
  })

  it('enforces the schema: check constraints, foreign keys and unique keys hold on this engine', async () => {
    const database = await createTestDatabase('migrated')
    const conn = connect(database.config)
    const base = {
      id: 'c1',
      case_number: 'AAAA-BBBB',
      secret_hash: null,
      secret_updated_at: null,
      contact_ciphertext: null,
      contact_updated_at: null,
      language: 'en',
      requester: 'self_adult' as const,
      signature_ciphertext: null,
      reviewed_at: null,
      assigned_to: null,
      created_at: 1,
      updated_at: 1,
      closed_at: null,
      withdrawn_at: null,
      deleted_at: null,
    }
    try {
      await conn.db.insertInto('survivor_case').values(base).execute()
      const row = await conn.db.selectFrom('survivor_case').selectAll().executeTakeFirstOrThrow()
      // Defaults, and bigint timestamps read back as numbers on both engines.
      expect(row).toMatchObject({ state: 'open', source: 'web', share_hashes: 0, created_at: 1 })
      expect(typeof row.created_at).toBe('number')

      await expect(
        conn.db.insertInto('survivor_case').values({ ...base, id: 'c2', case_number: 'X', requester: 'someone' as never }).execute(),
      ).rejects.toThrow()
      await expect(conn.db.insertInto('survivor_case').values({ ...base, id: 'c3' }).execute()).rejects.toThrow()
      await expect(
        conn.db
          .insertInto('case_hash')
          .values({ id: 'h1', case_id: 'missing', item: 1, media: 'image', kind: 'md5', value: 'ab', quality: null, frame_number: null, frame_ms: null, created_at: 1, updated_at: 1, withdrawn_at: null, disabled_at: null })
          .execute(),
      ).rejects.toThrow()
      const count = await sql<{ n: number }>`select count(*) as n from survivor_case`.execute(conn.db)
      expect(Number(count.rows[0]?.n)).toBe(1)
    } finally {
      await conn.close()
      await database.drop()
    }
  })
})
