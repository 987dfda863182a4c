/**
 * A database that cannot take a request just now (another writer holds the
 * SQLite file past busy_timeout, the disk is full, PostgreSQL is out of
 * connections or a lock wait ran out) is not a bug in the request: the answer
 * is 503 with Retry-After, so a client tries again instead of giving up on a
 * 500. The decision is made here, once, for every loader and action: the
 * server wraps the Remix build with `withUnavailableAnswers`, and
 * entry.server.tsx adds Retry-After to pages and data requests, whose headers
 * Remix does not take from a thrown Response.
 *
 * A failed statement leaves nothing behind: each model's transaction rolls
 * back as a whole, so the same request (same idempotency key) can be sent again.
 */
import type { ServerBuild } from '@remix-run/node'
import { log, loggablePath } from './log.server'

/** Seconds a client is asked to wait before trying again. */
export const RETRY_AFTER_SECONDS = 10

export type UnavailableReason = 'busy' | 'full'

/** SQLSTATEs that mean "try again shortly", not "this request is wrong". */
const PG_BUSY = new Set([
  '55P03', // lock_not_available (lock_timeout)
  '53300', // too_many_connections
  '57P03', // cannot_connect_now (starting up, in recovery)
  '40001', // serialization_failure
  '40P01', // deadlock_detected
])
const PG_FULL = new Set(['53100']) // disk_full

/** Why `error` means the database cannot take a request now, or null for any other error. */
export function unavailableReason(error: unknown): UnavailableReason | null {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
  if (typeof code !== 'string') return null
  // better-sqlite3 reports extended codes too: SQLITE_BUSY_SNAPSHOT, SQLITE_LOCKED_SHAREDCACHE, ...
  if (/^SQLITE_(BUSY|LOCKED)(_|$)/.test(code) || PG_BUSY.has(code)) return 'busy'
  if (code === 'SQLITE_FULL' || PG_FULL.has(code)) return 'full'
  return null
}

const MESSAGES: Record<UnavailableReason, string> = {
  busy: 'Takeback is busy. Nothing you sent was kept; send it again in a few seconds.',
  full: 'Takeback cannot save anything right now (its storage is full). Nothing you sent was kept; try again later.',
}

/** The 503 answer for `reason`: JSON in the provider API's shape under /api/, plain text elsewhere. */
export function unavailableResponse(reason: UnavailableReason, pathname: string): Response {
  const headers = new Headers({ 'Retry-After': String(RETRY_AFTER_SECONDS), 'Cache-Control': 'no-store' })
  if (pathname.startsWith('/api/')) {
    headers.set('Content-Type', 'application/json; charset=utf-8')
    return new Response(JSON.stringify({ error: { code: 'unavailable', message: MESSAGES[reason] } }), { status: 503, headers })
  }
  headers.set('Content-Type', 'text/plain; charset=utf-8')
  return new Response(MESSAGES[reason], { status: 503, headers })
}

type RouteArgs = { request: Request }
type RouteFunction = (args: RouteArgs) => unknown

function answerUnavailable(fn: RouteFunction | undefined): RouteFunction | undefined {
  if (!fn) return fn
  return async (args) => {
    try {
      return await fn(args)
    } catch (error) {
      const reason = unavailableReason(error)
      if (!reason) throw error
      const pathname = new URL(args.request.url).pathname
      // The code only: the message of a database error may quote a value.
      log.warn({ path: loggablePath(pathname), code: (error as { code: string }).code, reason }, 'database unavailable; answered 503')
      // Thrown, so Remix answers with its status (and the error page says "busy").
      throw unavailableResponse(reason, pathname)
    }
  }
}

function wrapBuild(build: ServerBuild): ServerBuild {
  const routes: ServerBuild['routes'] = {}
  for (const [id, route] of Object.entries(build.routes)) {
    if (!route) continue
    const module = route.module as typeof route.module & { loader?: RouteFunction; action?: RouteFunction }
    routes[id] = { ...route, module: { ...module, loader: answerUnavailable(module.loader), action: answerUnavailable(module.action) } as typeof route.module }
  }
  return { ...build, routes }
}

/** The Remix build with every loader and action answering 503 + Retry-After when the database is unavailable. */
export function withUnavailableAnswers(build: ServerBuild | (() => Promise<ServerBuild>)): ServerBuild | (() => Promise<ServerBuild>) {
  if (typeof build !== 'function') return wrapBuild(build)
  // Vite in development hands a fresh build per request; wrap each once.
  const wrapped = new WeakMap<ServerBuild, ServerBuild>()
  return async () => {
    const fresh = await build()
    let result = wrapped.get(fresh)
    if (!result) wrapped.set(fresh, (result = wrapBuild(fresh)))
    return result
  }
}
