/**
 * Takeback as real processes, for tests that need more than one: the
 * production build (made here when it is missing or older than the sources),
 * app instances started exactly as `npm run serve` starts them, and
 * `npm run worker` processes. Every child is bound to 127.0.0.1, gets a data
 * folder of its own, and is killed if the test process ends without stopping it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { freePort } from '../setup/postgres'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const BUILD_ENTRY = path.join(ROOT, 'build/server/index.js')
/** What `remix vite:build` reads. Anything newer than the build makes it stale. */
const BUILD_SOURCES = ['app', 'db', 'emails', 'public', 'vite.config.ts', 'package.json', 'tsconfig.json']

function newestMtime(entry: string): number {
  let stat: fs.Stats
  try {
    stat = fs.statSync(entry)
  } catch {
    return 0
  }
  if (!stat.isDirectory()) return stat.mtimeMs
  let newest = stat.mtimeMs
  for (const name of fs.readdirSync(entry)) newest = Math.max(newest, newestMtime(path.join(entry, name)))
  return newest
}

/**
 * Make sure build/ holds a production build of the current sources: reuse
 * it when it is newer than every source file (as after `npm start` or an e2e
 * run), otherwise build, as the e2e global setup does. Returns whether it built.
 */
export async function ensureAppBuild(): Promise<boolean> {
  const builtAt = fs.existsSync(BUILD_ENTRY) ? fs.statSync(BUILD_ENTRY).mtimeMs : 0
  const sourcesAt = Math.max(...BUILD_SOURCES.map((s) => newestMtime(path.join(ROOT, s))))
  if (builtAt > sourcesAt) return false
  await promisify(execFile)('npx', ['remix', 'vite:build', '--logLevel', 'warn'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 })
  return true
}

export interface TakebackProcess {
  /** `app` or `worker`, and a number, for messages. */
  name: string
  pid: number
  /** The app's address (http://127.0.0.1:port); empty for a worker. */
  baseURL: string
  /** Everything the process printed so far (the last 64 KB). */
  output(): string
  /** SIGTERM, then SIGKILL if it has not ended within 10 s; removes its data folder. */
  stop(): Promise<void>
}

const KEEP_OUTPUT = 64 * 1024

async function startProcess(
  name: string,
  script: string,
  env: Record<string, string>,
  ready: string,
  baseURL: string,
): Promise<TakebackProcess> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `takeback-${name}-`))
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const onData = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-KEEP_OUTPUT)
  }
  // Keep reading, so a chatty child never blocks on a full pipe.
  child.stdout!.on('data', onData)
  child.stderr!.on('data', onData)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  // If the test process ends without stopping it (a crash, a timeout), the child must not outlive it.
  const killOnExit = () => child.kill('SIGKILL')
  process.once('exit', killOnExit)

  const stop = async () => {
    process.off('exit', killOnExit)
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    }
    fs.rmSync(dataDir, { recursive: true, force: true })
  }

  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not start within 90 s:\n${output}`)), 90_000)
      const check = () => {
        if (output.includes(ready)) {
          clearTimeout(timer)
          resolve()
        }
      }
      child.stdout!.on('data', check)
      child.stderr!.on('data', check)
      child.once('exit', (code, signal) => {
        clearTimeout(timer)
        reject(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${output}`))
      })
    })
  } catch (error) {
    await stop()
    throw error
  }
  return { name, pid: child.pid!, baseURL, output: () => output, stop }
}

/** Shared settings for every process of one deployment: database, keys, mail, and so on. */
export type DeploymentEnv = Record<string, string>

/** An app instance, as `npm run serve` runs it (production, from build/), on a free port of 127.0.0.1. */
export async function startApp(name: string, env: DeploymentEnv): Promise<TakebackProcess> {
  const port = await freePort()
  const baseURL = `http://127.0.0.1:${port}`
  return startProcess(
    name,
    'app/server.ts',
    { NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), PUBLIC_URL: baseURL, ...env },
    'Takeback is listening',
    baseURL,
  )
}

/** A worker, as `npm run worker` runs it. */
export async function startWorker(name: string, env: DeploymentEnv): Promise<TakebackProcess> {
  return startProcess(name, 'app/worker.ts', { NODE_ENV: 'production', ...env }, 'Takeback worker started', '')
}

/**
 * Start several processes at once. If any fails, the others that did start
 * are stopped before the error is thrown, so none is left running.
 */
export async function startAll(starts: Promise<TakebackProcess>[]): Promise<TakebackProcess[]> {
  const settled = await Promise.allSettled(starts)
  const started = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []))
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected')
  if (failed) {
    await Promise.all(started.map((p) => p.stop()))
    throw failed.reason
  }
  return started
}
