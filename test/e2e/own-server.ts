/**
 * A second Takeback server, started from the build that global setup made,
 * for a spec that needs a state the shared server must not have.
 *
 * The shared server's set-up link belongs to foundation.spec.ts, and it stops
 * working as soon as any staff account exists; and that server runs with the
 * example organisation details, with which a production server refuses to
 * send notices. The staff specs therefore get a server of their own: same
 * build, same way of starting as `npm start`, a fresh data folder, and the
 * environment they name.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { freePort } from '../setup/postgres'

export interface OwnServer {
  baseURL: string
  setupUrl: string
  dataDir: string
  pid: number
  /** The environment the server runs with, for command-line tools pointed at the same data. */
  env: NodeJS.ProcessEnv
  stop(): Promise<void>
}

export async function startOwnServer(extraEnv: Record<string, string> = {}): Promise<OwnServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'takeback-e2e-own-'))
  const port = await freePort()
  const baseURL = `http://127.0.0.1:${port}`
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: baseURL,
    DATA_DIR: dataDir,
    DATABASE_URL: '',
    LOG_LEVEL: 'warn',
    OUTBOX_INTERVAL_MS: '300',
    ...extraEnv,
  }
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'app/server.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  // If the test runner ends without tearing down (a crash, Ctrl-C), the server must not outlive it.
  const killOnExit = () => child.kill('SIGTERM')
  process.once('exit', killOnExit)
  try {
    const setupUrl = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 30_000)
      const onData = (chunk: Buffer) => {
        output += chunk.toString()
        const link = output.match(/(http\S+\/setup\?token=\S+)/)
        if (link && output.includes('Takeback is listening')) {
          clearTimeout(timer)
          resolve(link[1]!)
        }
      }
      child.stdout!.on('data', onData)
      child.stderr!.on('data', onData)
      child.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`server exited with ${code}:\n${output}`))
      })
    })
    return {
      baseURL,
      setupUrl,
      dataDir,
      pid: child.pid!,
      env,
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
