/**
 * Back up and restore the database that the environment names.
 *
 *   npm run backup -- FILE [--force]
 *   npm run restore -- FILE [--force]
 *
 * SQLite: SQLite's online backup API, page by page, so the copy is
 * consistent while the app keeps running and writing. The copy is written
 * beside FILE and renamed into place only once it is complete and passes
 * SQLite's quick_check, so a failed backup never leaves a half file under the
 * name. Restore copies a checked backup over the live file the same way; the
 * file it replaces is first saved beside it as `<db>.before-restore-<time>`.
 *
 * PostgreSQL: pg_dump's custom format and pg_restore, which must be on PATH
 * and at least as new as the server (pg_dump refuses a newer server).
 *
 * Restore refuses to replace a database that a running app or worker has
 * open unless given --force: the running processes would go on from a
 * database that changed under them, and anything they wrote after the backup
 * would be lost. Stop them first.
 *
 * Progress and messages go to standard error. Exit codes: 0 done, 1 failed,
 * 2 wrong usage or refused (nothing was changed).
 *
 * The backup holds contact addresses and signatures encrypted with
 * CONTACT_KEY: keep the keys (DATA_DIR/secrets.json, or your key settings)
 * safe and apart from the backups, and with them for a restore.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import SQLite from 'better-sqlite3'
import pg from 'pg'
import { EnvError, getEnv, type Env } from '../lib/env.server'

const USAGE = `Usage:
  npm run backup -- FILE [--force]    write a backup of the database to FILE (--force: replace FILE)
  npm run restore -- FILE [--force]   replace the database with the backup in FILE
                                      (--force: even while an app or worker has it open)`

class Refused extends Error {}

function say(line: string) {
  process.stderr.write(`${line}\n`)
}

/** A progress callback for better-sqlite3's backup: a line at every tenth. */
function pageProgress(label: string) {
  let shown = -1
  return ({ totalPages, remainingPages }: { totalPages: number; remainingPages: number }) => {
    const tenth = totalPages === 0 ? 10 : Math.floor(((totalPages - remainingPages) / totalPages) * 10)
    if (tenth !== shown) {
      shown = tenth
      say(`${label}: ${tenth * 10}% of ${totalPages} pages`)
    }
    // Pages per step: small enough that the app's writers wait only briefly between steps.
    return 1000
  }
}

/** Throws Refused unless `file` is a readable, intact SQLite database made by Takeback. */
function checkSqliteFile(file: string, what: string): { tables: number; migrations: number } {
  let db: SQLite.Database
  try {
    db = new SQLite(file, { readonly: true, fileMustExist: true })
  } catch (error) {
    throw new Refused(`${what} ${file} cannot be opened as a SQLite database: ${(error as Error).message}`)
  }
  try {
    const check = db.pragma('quick_check', { simple: true })
    if (check !== 'ok') throw new Refused(`${what} ${file} is damaged (SQLite quick_check: ${String(check)}).`)
    const tables = db.prepare(`select count(*) as n from sqlite_master where type = 'table'`).get() as { n: number }
    const hasMigrations = db.prepare(`select 1 from sqlite_master where type = 'table' and name = 'kysely_migration'`).get()
    if (!hasMigrations) throw new Refused(`${what} ${file} is a SQLite database, but not a Takeback one (it has no kysely_migration table).`)
    const migrations = db.prepare('select count(*) as n from kysely_migration').get() as { n: number }
    return { tables: tables.n, migrations: migrations.n }
  } catch (error) {
    if (error instanceof Refused) throw error
    throw new Refused(`${what} ${file} cannot be read as a SQLite database: ${(error as Error).message}`)
  } finally {
    db.close()
  }
}

/**
 * Whether another connection has the SQLite file open. In WAL mode every open
 * connection holds a shared lock on the file, so an exclusive lock is
 * granted only when no app, worker or other tool has it open.
 */
function sqliteInUse(file: string): boolean {
  const db = new SQLite(file, { fileMustExist: true, timeout: 200 })
  try {
    db.pragma('locking_mode = EXCLUSIVE')
    db.exec('BEGIN EXCLUSIVE')
    db.exec('COMMIT')
    return false
  } catch (error) {
    if ((error as { code?: string }).code === 'SQLITE_BUSY') return true
    throw error
  } finally {
    db.close()
  }
}

async function backupSqlite(dbFile: string, target: string): Promise<void> {
  if (!fs.existsSync(dbFile)) throw new Refused(`There is no database at ${dbFile} to back up. Check DATABASE_URL and DATA_DIR.`)
  const partial = `${target}.partial`
  fs.rmSync(partial, { force: true })
  const source = new SQLite(dbFile, { fileMustExist: true, timeout: 5000 })
  try {
    await source.backup(partial, { progress: pageProgress('backup') })
    say('backup: 100%')
  } finally {
    source.close()
  }
  try {
    checkSqliteFile(partial, 'The new backup')
  } catch (error) {
    fs.rmSync(partial, { force: true })
    throw error
  }
  fs.renameSync(partial, target)
}

async function restoreSqlite(dbFile: string, backup: string, force: boolean): Promise<string | null> {
  const found = checkSqliteFile(backup, 'The backup')
  say(`restore: ${backup} is intact (${found.tables} tables, ${found.migrations} migrations applied).`)
  let saved: string | null = null
  if (fs.existsSync(dbFile)) {
    if (sqliteInUse(dbFile)) {
      if (!force) {
        throw new Refused(
          `${dbFile} is open in another process (a running app, worker or backup). Restoring under it would leave that process ` +
            'working on a database that changed beneath it, and anything it wrote after the backup would be lost. ' +
            'Stop the app and the workers, then run restore again; or add --force to replace it anyway.',
        )
      }
      say('restore: the database is in use; replacing it anyway (--force).')
    }
    // Keep what is being replaced: a restore from the wrong file can be undone.
    saved = `${dbFile}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`
    const current = new SQLite(dbFile, { fileMustExist: true, timeout: 5000 })
    try {
      await current.backup(saved, { progress: pageProgress('saving the current database') })
      say('saving the current database: 100%')
    } finally {
      current.close()
    }
  } else {
    fs.mkdirSync(path.dirname(path.resolve(dbFile)), { recursive: true })
  }
  // The backup API writes through SQLite's own locking, so processes that
  // still have the file open (with --force) see the restored pages, never a torn file.
  const source = new SQLite(backup, { readonly: true, fileMustExist: true })
  try {
    await source.backup(dbFile, { progress: pageProgress('restore') })
    say('restore: 100%')
  } finally {
    source.close()
  }
  checkSqliteFile(dbFile, 'The restored database')
  return saved
}

// ---------------------------------------------------------------------------
// PostgreSQL

/** libpq settings for pg_dump and pg_restore: the password goes in the environment, never on the command line. */
function libpqEnv(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const u = new URL(url)
  const password = decodeURIComponent(u.password)
  u.password = ''
  return { dbname: u.toString(), env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) } }
}

function runTool(tool: string, args: string[], env: NodeJS.ProcessEnv): void {
  const result = spawnSync(tool, args, { env, stdio: ['ignore', 'inherit', 'inherit'] })
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Refused(`${tool} is not installed. Install the PostgreSQL client tools of the server's version (e.g. postgresql-client-18) and try again.`)
  }
  if (result.status !== 0) throw new Error(`${tool} failed (exit ${result.status ?? result.signal}); its messages are above.`)
}

async function otherPostgresSessions(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query<{ n: string }>(
      'select count(*) as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
    )
    return Number(rows[0]?.n ?? 0)
  } finally {
    await client.end()
  }
}

function backupPostgres(url: string, target: string): void {
  const { dbname, env } = libpqEnv(url)
  const partial = `${target}.partial`
  fs.rmSync(partial, { force: true })
  // One snapshot, so the dump is consistent while the app runs.
  try {
    runTool('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', '--verbose', `--file=${partial}`, `--dbname=${dbname}`], env)
  } catch (error) {
    fs.rmSync(partial, { force: true })
    throw error
  }
  fs.renameSync(partial, target)
}

async function restorePostgres(url: string, backup: string, force: boolean): Promise<void> {
  if (!fs.existsSync(backup)) throw new Refused(`There is no backup at ${backup}.`)
  const others = await otherPostgresSessions(url)
  if (others > 0) {
    if (!force) {
      throw new Refused(
        `The database has ${others} other connection${others === 1 ? '' : 's'} (running apps or workers). Restoring under them would leave ` +
          'them working on a database that changed beneath them, and anything written after the backup would be lost. ' +
          'Stop the app and the workers, then run restore again; or add --force to replace it anyway.',
      )
    }
    say(`restore: ${others} other connection(s) are open; replacing the database anyway (--force).`)
  }
  const { dbname, env } = libpqEnv(url)
  // --clean drops what the backup holds before recreating it; one transaction, so a failure leaves the database as it was.
  runTool('pg_restore', ['--clean', '--if-exists', '--no-owner', '--no-privileges', '--single-transaction', '--exit-on-error', '--verbose', `--dbname=${dbname}`, backup], env)
}

// ---------------------------------------------------------------------------

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  let parsed
  try {
    parsed = parseArgs({ args: rest, allowPositionals: true, options: { force: { type: 'boolean', default: false } } })
  } catch (error) {
    say(`${(error as Error).message}\n${USAGE}`)
    return 2
  }
  const file = parsed.positionals[0]
  if ((command !== 'backup' && command !== 'restore') || !file || parsed.positionals.length > 1) {
    say(USAGE)
    return 2
  }
  const force = parsed.values.force === true
  let env: Env
  try {
    env = getEnv()
  } catch (error) {
    if (error instanceof EnvError) {
      say(error.message)
      return 2
    }
    throw error
  }
  const target = path.resolve(file)
  try {
    if (command === 'backup') {
      if (fs.existsSync(target) && !force) throw new Refused(`${target} already exists. Choose a new name, or add --force to replace it.`)
      if (env.database.engine === 'sqlite') await backupSqlite(env.database.file, target)
      else backupPostgres(env.database.url, target)
      say(`Backed up the ${env.database.engine === 'sqlite' ? 'SQLite' : 'PostgreSQL'} database to ${target} (${fs.statSync(target).size} bytes).`)
      say('The keys are not in it: keep CONTACT_KEY and the other keys (DATA_DIR/secrets.json on SQLite) safe, apart from the backups.')
    } else {
      if (env.database.engine === 'sqlite') {
        const saved = await restoreSqlite(env.database.file, target, force)
        say(`Restored ${env.database.file} from ${target}.${saved ? ` The database it replaced is saved as ${saved}.` : ''}`)
      } else {
        await restorePostgres(env.database.url, target, force)
        say(`Restored the PostgreSQL database from ${target}.`)
      }
      say('Start the app: it applies any migrations newer than the backup. It needs the same keys as when the backup was made.')
    }
    return 0
  } catch (error) {
    if (error instanceof Refused) {
      say(`${command === 'backup' ? 'Backup' : 'Restore'} refused: ${error.message}`)
      return 2
    }
    say(`${command === 'backup' ? 'Backup' : 'Restore'} failed: ${(error as Error).message}`)
    return 1
  }
}

// Run only as a script, so tests can import main().
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  process.exitCode = await main(process.argv.slice(2))
}
