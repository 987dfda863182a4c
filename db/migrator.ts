import { Migrator, NO_MIGRATIONS, type Kysely, type MigrationResultSet } from 'kysely'
import { migrations } from './migrations/index'

function migrator(db: Kysely<any>) {
  return new Migrator({ db, provider: { getMigrations: async () => migrations } })
}

function check({ error, results }: MigrationResultSet): string[] {
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName
    throw new Error(`Migration ${failed ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`)
  }
  return (results ?? []).map((r) => `${r.direction === 'Up' ? 'applied' : 'reverted'} ${r.migrationName}`)
}

/** Apply every migration not yet applied. Returns one line per migration run. */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  return check(await migrator(db).migrateToLatest())
}

/** Revert the most recent migration. */
export async function migrateDown(db: Kysely<any>): Promise<string[]> {
  return check(await migrator(db).migrateDown())
}

/** Revert every migration, leaving an empty database. */
export async function migrateToEmpty(db: Kysely<any>): Promise<string[]> {
  return check(await migrator(db).migrateTo(NO_MIGRATIONS))
}

export async function migrationStatus(db: Kysely<any>): Promise<{ name: string; executedAt: Date | undefined }[]> {
  const list = await migrator(db).getMigrations()
  return list.map((m) => ({ name: m.name, executedAt: m.executedAt }))
}
