/**
 * The HTTP server: `npm start` (built app) and `npm run dev` (Vite in
 * middleware mode). Parses the environment, migrates the database, prints the
 * first administrator's set-up link while no staff account exists, and serves.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequestHandler } from '@remix-run/express'
import type { ServerBuild } from '@remix-run/node'
import express from 'express'
import { migrateToLatest } from '../db/migrator'
import { getConnection } from './lib/db.server'
import { EnvError, getEnv } from './lib/env.server'
import { log, loggablePath } from './lib/log.server'
import { organisationFromEnv, type Organisation } from './lib/organisation.server'
import { startInProcessWorker } from './lib/outbox-worker.server'
import { securityHeaders } from './lib/security-headers.server'
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

const app = express()
app.disable('x-powered-by')
// Behind a load balancer, the client address comes from X-Forwarded-For; only trust it when told to.
if (process.env.TRUST_PROXY) app.set('trust proxy', process.env.TRUST_PROXY)
app.use(securityHeaders({ dev, https: env.PUBLIC_URL.startsWith('https:') }))

app.use((req, res, next) => {
  const started = process.hrtime.bigint()
  res.on('finish', () => {
    const ms = Number(process.hrtime.bigint() - started) / 1e6
    log.info({ method: req.method, path: loggablePath(req.path), status: res.statusCode, ms: Math.round(ms) }, 'request')
  })
  next()
})

// A state-changing request from another site is refused here with a plain
// 403. (Remix's own origin check would otherwise answer it with a 500.)
// 'null' is let through: with Referrer-Policy no-referrer, Chromium sends
// Origin: null on our own form posts; staff routes check Origin themselves.
// No Origin at all is let through too: that is how server-side clients of the
// provider API (/api/v1, HMA) post, and they authenticate with a key in a
// header, never a cookie, so there is nothing for another site to ride on
// (see app/lib/provider-api.server.ts).
const ownOrigins = new Set([new URL(env.PUBLIC_URL).origin])
app.use((req, res, next) => {
  const origin = req.get('origin')
  if (req.method === 'GET' || req.method === 'HEAD' || !origin || origin === 'null') return next()
  if (ownOrigins.has(origin) || origin === `${req.protocol}://${req.get('host')}`) return next()
  res.status(403).type('text/plain').send('This request came from another website, so it was refused.\n')
})

if (viteDevServer) {
  app.use(viteDevServer.middlewares)
} else {
  app.use('/assets', express.static(path.join(root, 'build/client/assets'), { immutable: true, maxAge: '1y', index: false }))
  app.use(express.static(path.join(root, 'build/client'), { maxAge: '1h', index: false }))
}

const build = viteDevServer
  ? () => viteDevServer.ssrLoadModule('virtual:remix/server-build') as Promise<ServerBuild>
  : ((await import(path.join(root, 'build/server/index.js'))) as ServerBuild)

app.all(
  '*',
  createRequestHandler({
    build,
    mode: env.NODE_ENV,
    getLoadContext: (req, res) => ({ cspNonce: res.locals.cspNonce as string, clientAddress: req.ip ?? 'unknown' }),
  }),
)

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
