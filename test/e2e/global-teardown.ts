import fs from 'node:fs'
import { readServer, SERVER_FILE } from './server'

export default async function globalTeardown() {
  if (!fs.existsSync(SERVER_FILE)) return
  const server = readServer()
  try {
    process.kill(server.pid, 'SIGTERM')
  } catch {
    // already gone
  }
  fs.rmSync(server.dataDir, { recursive: true, force: true })
}
