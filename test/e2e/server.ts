/**
 * The built Takeback server that e2e tests drive: started once by global
 * setup, exactly as `npm start` runs it, with a fresh data folder. Its console
 * output is read for the first administrator's set-up link.
 */
import fs from 'node:fs'
import path from 'node:path'

export interface E2EServer {
  baseURL: string
  setupUrl: string
  pid: number
  dataDir: string
}

export const SERVER_FILE = path.resolve('test-results/e2e-server.json')
export const SCREENSHOT_DIR = path.resolve('test-results/screenshots')

export function readServer(): E2EServer {
  return JSON.parse(fs.readFileSync(SERVER_FILE, 'utf8')) as E2EServer
}
