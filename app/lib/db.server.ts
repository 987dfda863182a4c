import fs from 'node:fs'
import path from 'node:path'
import SQLite from 'better-sqlite3'
import pg from 'pg'
import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect, SqliteDriver, sql, type DatabaseConnection, type SqliteDialectConfig } from 'kysely'
import type { Database } from '../../db/schema'
import { EnvError, getEnv, type Env } from './env.server'
import { singleton } from './singleton.server'

export type Engine = 'sqlite' | 'postgres'
export type DB = Kysely<Database>

export interface Connection {
  db: DB
  engine: Engine
  close(): Promise<void>
}

/**
 * Every transaction here writes, so on SQLite it takes the write lock when it
 * begins (BEGIN IMMEDIATE), waiting up to busy_timeout for another process
 * (a second instance, the worker, a backup) to finish. A plain BEGIN reads
 * first and asks for the lock at its first write; if another process
 * committed in between, SQLite fails at once with SQLITE_BUSY_SNAPSHOT,
 * without waiting, and the request would fail for nothing.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'))
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly settings: SqliteDialectConfig) {
    super(settings)
  }

  override createDriver(): SqliteDriver {
    return new ImmediateSqliteDriver(this.settings)
  }
}

/** Open the database that `config` names: a SQLite file, or a PostgreSQL pool. */
export function connect(config: Env['database'], options: { poolSize?: number } = {}): Connection {
  if (config.engine === 'postgres') {
    const pool = new pg.Pool({
      connectionString: config.url,
      max: options.poolSize ?? 10,
      // Timestamps and counts are bigint; as epoch milliseconds they fit a JS
      // number exactly, so read them as numbers, the same as SQLite gives.
      types: {
        getTypeParser: (oid: number, format?: 'text' | 'binary') =>
          oid === pg.types.builtins.INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format),
      },
    })
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
    return { db, engine: 'postgres', close: () => db.destroy() }
  }

  if (config.file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(config.file)), { recursive: true })
  const sqlite = new SQLite(config.file)
  // Readers never block the writer, and a crash cannot corrupt the file.
  sqlite.pragma('journal_mode = WAL')
  // Each commit reaches the disk before we answer: a survivor's case is never lost to a power cut.
  sqlite.pragma('synchronous = FULL')
  // SQLite ignores foreign keys unless asked, per connection.
  sqlite.pragma('foreign_keys = ON')
  // Wait for another writer (a second process, a backup) instead of failing at once.
  sqlite.pragma('busy_timeout = 5000')
  // A pragma can quietly not take (an in-memory file, a file system without
  // shared memory, a read-only folder): refuse to run rather than risk data.
  const journal = String(sqlite.pragma('journal_mode', { simple: true })).toLowerCase()
  const synchronous = Number(sqlite.pragma('synchronous', { simple: true }))
  if (journal !== 'wal' || synchronous !== 2) {
    sqlite.close()
    throw new EnvError(
      `Takeback cannot start: the SQLite database ${config.file} runs with journal_mode=${journal} and synchronous=${synchronous}, ` +
        'but it must run with journal_mode=WAL and synchronous=FULL (2), or a crash or power cut could lose or corrupt cases. ' +
        'Put the database on a local disk the app can write to (not a network share), or use PostgreSQL.',
    )
  }
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: sqlite }) })
  return { db, engine: 'sqlite', close: () => db.destroy() }
}

/** This process's database connection, opened on first use from the environment. */
export function getConnection(): Connection {
  return singleton('db', () => {
    const env = getEnv()
    return connect(env.database, { poolSize: env.DATABASE_POOL_SIZE })
  })
}

export function getDb(): DB {
  return getConnection().db
}

/** True when the database answers a trivial query. */
export async function isDatabaseReachable(db: DB = getDb()): Promise<boolean> {
  try {
    await sql`select 1`.execute(db)
    return true
  } catch {
    return false
  }
}
