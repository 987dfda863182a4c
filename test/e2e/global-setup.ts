import { execFileSync, spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { freePort } from '../setup/postgres'
import { SERVER_FILE, type E2EServer } from './server'

export default async function globalSetup() {
  execFileSync('npx', ['remix', 'vite:build', '--logLevel', 'warn'], { stdio: 'inherit' })
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'takeback-e2e-'))
  const port = await freePort()
  const baseURL = `http://127.0.0.1:${port}`
  const child = spawn(process.execPath, ['--import', 'tsx', 'app/server.ts'], {
    env: { ...process.env, NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), PUBLIC_URL: baseURL, DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'warn', OUTBOX_INTERVAL_MS: '300' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: false,
  })
  let output = ''
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
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)))
  })
  fs.mkdirSync(path.dirname(SERVER_FILE), { recursive: true })
  const server: E2EServer = { baseURL, setupUrl, pid: child.pid!, dataDir }
  fs.writeFileSync(SERVER_FILE, JSON.stringify(server, null, 2))
  // Keep draining output so the server never blocks on a full pipe.
  child.stdout.resume()
  child.stderr.resume()
}
