/**
 * The real Takeback HTTP server (app/server.ts: Express, its security
 * headers, origin check and request log, then Remix), started as `npm run
 * serve` starts it, on 127.0.0.1, over this test file's own database, with
 * everything it writes to standard output and error kept for reading.
 *
 * It serves the production build; when that is missing or older than the
 * source, it is built first, one builder at a time (the SQLite and
 * PostgreSQL projects run side by side).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { freePort } from '../setup/postgres'

const ROOT = path.resolve(import.meta.dirname, '../..')
const BUILD_ENTRY = path.join(ROOT, 'build/server/index.js')
const LOCK = path.join(ROOT, 'build/.test-build-lock')

function newestSourceTime(): number {
  let newest = 0
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name)
      if (entry.isDirectory()) walk(p)
      else newest = Math.max(newest, fs.statSync(p).mtimeMs)
    }
  }
  for (const dir of ['app', 'emails', 'public']) if (fs.existsSync(path.join(ROOT, dir))) walk(path.join(ROOT, dir))
  return Math.max(newest, fs.statSync(path.join(ROOT, 'vite.config.ts')).mtimeMs)
}

const buildIsFresh = () => fs.existsSync(BUILD_ENTRY) && fs.statSync(BUILD_ENTRY).mtimeMs >= newestSourceTime()

/** Build the app unless the build on disk is newer than every source file. */
export async function ensureBuild(): Promise<void> {
  const deadline = Date.now() + 5 * 60_000
  while (!buildIsFresh()) {
    fs.mkdirSync(path.dirname(LOCK), { recursive: true })
    try {
      fs.mkdirSync(LOCK)
    } catch {
      // Someone else is building; a lock left by a crashed run expires after 5 minutes.
      const age = Date.now() - (fs.statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now())
      if (age > 5 * 60_000) fs.rmSync(LOCK, { recursive: true, force: true })
      if (Date.now() > deadline) throw new Error('timed out waiting for another build of the app')
      await new Promise((r) => setTimeout(r, 1000))
      continue
    }
    try {
      if (!buildIsFresh()) execFileSync('npx', ['remix', 'vite:build', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' })
    } finally {
      fs.rmSync(LOCK, { recursive: true, force: true })
    }
  }
}

export interface TakebackServer {
  baseURL: string
  origin: string
  /** The one-time first-administrator link printed at start. */
  setupUrl: string
  dataDir: string
  /** Everything the process wrote to standard output and error so far. */
  output(): string
  stop(): Promise<void>
}

/** Start app/server.ts over DATABASE_URL (this test file's database). */
export async function startTakebackServer(extraEnv: Record<string, string> = {}): Promise<TakebackServer> {
  await ensureBuild()
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'takeback-http-'))
  const port = await freePort()
  const baseURL = `http://127.0.0.1:${port}`
  const key = () => crypto.randomBytes(48).toString('base64')
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: baseURL,
    DATA_DIR: dataDir,
    DATABASE_URL: process.env.DATABASE_URL ?? '',
    SESSION_SECRET: key(),
    CONTACT_KEY: key(),
    LINK_SIGNING_KEY: key(),
    LOG_LEVEL: 'info',
    OUTBOX_INTERVAL_MS: '200',
    ...extraEnv,
  }
  delete env.TRUST_PROXY
  if (extraEnv.TRUST_PROXY) env.TRUST_PROXY = extraEnv.TRUST_PROXY
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'app/server.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const killOnExit = () => child.kill('SIGTERM')
  process.once('exit', killOnExit)
  try {
    const setupUrl = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 60_000)
      const poll = setInterval(() => {
        const link = output.match(/(http\S+\/setup\?token=\S+)/)
        if (output.includes('Takeback is listening')) {
          clearInterval(poll)
          clearTimeout(timer)
          resolve(link?.[1] ?? '')
        }
      }, 50)
      child.once('exit', (code) => {
        clearInterval(poll)
        clearTimeout(timer)
        reject(new Error(`server exited with ${code}:\n${output}`))
      })
    })
    return {
      baseURL,
      origin: baseURL,
      setupUrl,
      dataDir,
      output: () => output,
      async stop() {
        process.off('exit', killOnExit)
        if (child.exitCode === null) child.kill('SIGTERM')
        await exited
        fs.rmSync(dataDir, { recursive: true, force: true })
      },
    }
  } catch (error) {
    process.off('exit', killOnExit)
    child.kill('SIGTERM')
    fs.rmSync(dataDir, { recursive: true, force: true })
    throw error
  }
}

export interface RawResponse {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
}

const agents = new Map<string, http.Agent>()

/**
 * One HTTP request from a chosen loopback address (127.0.0.0/8 is all
 * loopback on Linux), so the server sees it as coming from that source.
 */
export function rawRequest(
  url: string,
  { method = 'GET', headers = {}, body, from = '127.0.0.1' }: { method?: string; headers?: Record<string, string>; body?: string; from?: string } = {},
): Promise<RawResponse> {
  let agent = agents.get(from)
  if (!agent) {
    // No keep-alive: a kept socket the server has just timed out makes a
    // request fail with "socket hang up", and a POST cannot safely be retried.
    agent = new http.Agent({ keepAlive: false, localAddress: from, maxSockets: 8 })
    agents.set(from, agent)
  }
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { ...(body !== undefined ? { 'Content-Length': String(Buffer.byteLength(body)) } : {}), ...headers }, agent }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (text += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }))
      res.on('error', reject)
    })
    req.on('error', reject)
    if (body !== undefined) req.write(body)
    req.end()
  })
}

/** Close the kept-alive connections, so the server can stop at once. */
export function closeAgents(): void {
  for (const agent of agents.values()) agent.destroy()
  agents.clear()
}
