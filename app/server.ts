/**
 * The HTTP server: `npm start` (built app) and `npm run dev` (Vite in
 * middleware mode). Parses the environment, migrates the database, prints the
 * first administrator's set-up link while no staff account exists, and serves.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ServerBuild } from '@remix-run/node'
import { migrateToLatest } from '../db/migrator'
import { getConnection } from './lib/db.server'
import { createHttpApp } from './http-app.server'
import { EnvError, getEnv } from './lib/env.server'
import { log } from './lib/log.server'
import { organisationFromEnv, type Organisation } from './lib/organisation.server'
import { startInProcessWorker } from './lib/outbox-worker.server'
import { withUnavailableAnswers } from './lib/unavailable.server'
import { startMatchIndex } from './matching/match-index.server'
import { startDeadlineWorker } from './models/deadline.server'
import { retentionPolicyFromEnv, startRetentionJob } from './models/retention.server'
import { openSetupLink } from './models/staff.server'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

let env
let org: Organisation
try {
  env = getEnv()
  org = organisationFromEnv()
  // Opening the database checks its safety settings (SQLite: WAL, synchronous FULL).
  getConnection()
} catch (error) {
  if (error instanceof EnvError) {
    console.error(error.message)
    process.exit(1)
  }
  throw error
}
const dev = env.NODE_ENV === 'development'

const connection = getConnection()
const applied = await migrateToLatest(connection.db)
log.info({ engine: connection.engine, applied: applied.length }, 'database ready')

// Email queued by the app is delivered from here unless OUTBOX_WORKER=off
// (then run `npm run worker` as its own process).
const outboxWorker = startInProcessWorker()
// Reminders and overdue marks run beside the in-process mail worker; with
// OUTBOX_WORKER=off, `npm run worker` runs them. Two runners never act twice.
const deadlineWorker = outboxWorker ? startDeadlineWorker({ db: connection.db, org, intervalMs: 60_000 }) : null
// Retention (hourly) runs with them; concurrent runs in several processes never act twice.
const retentionJob = outboxWorker ? startRetentionJob({ db: connection.db, policy: retentionPolicyFromEnv() }) : null
// Every instance keeps its own match index for /api/v1/match, loaded now and
// refreshed from the database; instances converge on what the database says.
const matchIndex = startMatchIndex(env.MATCH_REFRESH_MS, connection.db)

const setupToken = await openSetupLink(connection.db)
if (setupToken) {
  // Printed to the console on purpose, never to the log: it is the only way in
  // before an administrator exists, and it works once.
  console.log(
    `\nNo staff account exists yet. Open this one-time link to create the first administrator (valid 24 hours):\n\n  ${env.PUBLIC_URL}/setup?token=${setupToken}\n`,
  )
}

const viteDevServer = dev
  ? await import('vite').then((vite) => vite.createServer({ root, server: { middlewareMode: true } }))
  : undefined

const build = viteDevServer
  ? () => viteDevServer.ssrLoadModule('virtual:remix/server-build') as Promise<ServerBuild>
  : ((await import(path.join(root, 'build/server/index.js'))) as ServerBuild)

const app = createHttpApp({
  // A locked or full database answers 503 with Retry-After, not 500 (app/lib/unavailable.server.ts).
  build: withUnavailableAnswers(build),
  mode: env.NODE_ENV,
  publicUrl: env.PUBLIC_URL,
  dev,
  trustProxy: env.TRUST_PROXY,
  devMiddlewares: viteDevServer?.middlewares,
  root,
})

const server = app.listen(env.PORT, env.HOST, () => {
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : env.PORT
  console.log(`Takeback is listening on http://${env.HOST}:${port} (${connection.engine})`)
})

let stopping = false
function stop(signal: string) {
  if (stopping) return
  stopping = true
  log.info({ signal }, 'stopping')
  server.close(() => {
    // Let a delivery in flight finish, so it is recorded as sent rather than retried.
    void Promise.all([outboxWorker?.stop(), deadlineWorker?.stop(), retentionJob?.stop(), matchIndex.stop()])
      .then(() => connection.close())
      .finally(() => process.exit(0))
  })
  // Keep-alive connections may hold close() open; do not wait for ever.
  setTimeout(() => process.exit(0), 5000).unref()
}
process.on('SIGTERM', () => stop('SIGTERM'))
process.on('SIGINT', () => stop('SIGINT'))
