/**
 * The machinery of the hostile-input suite: the real HTTP stack served
 * in-process, request bodies built byte by byte, and cheap snapshots of every
 * table to prove what a request stored.
 *
 * Why in-process: app/http-app.server.ts is the exact Express stack
 * app/server.ts serves (headers, cross-site check, body limit, Remix), and
 * Vite's SSR loader gives it the real Remix build without a `vite build`. The
 * app and the test share one process, so the test can see Object.prototype
 * after each request, and one database through the same connection settings.
 */
import http from 'node:http'
import path from 'node:path'
import type { ServerBuild } from '@remix-run/node'
import { sql } from 'kysely'
import type { Database } from '../../db/schema'
import { getDb } from '../../app/lib/db.server'
import { forgetSingleton } from '../../app/lib/singleton.server'
import { freePort } from '../setup/postgres'
import { AsArray, Dup, MISSING, RawBytes, RawJson } from './payloads'

export interface Served {
  url: string
  close(): Promise<void>
}

/** The app's real Express stack on 127.0.0.1 at a free port, with the Remix build loaded by Vite. */
export async function serveApp(): Promise<Served> {
  const root = path.resolve(import.meta.dirname, '../..')
  const { createServer } = await import('vite')
  const vite = await createServer({
    root,
    configFile: path.join(root, 'vite.config.ts'),
    logLevel: 'error',
    appType: 'custom',
    // Others edit the checkout while tests run: load each module once, watch nothing.
    server: { middlewareMode: true, hmr: false, watch: null },
  })
  const build = (await vite.ssrLoadModule('virtual:remix/server-build')) as ServerBuild
  // Remix refuses a POST whose Origin is not the Host it came to, and staff
  // routes check Origin against PUBLIC_URL: so PUBLIC_URL is this server's own address.
  const port = await freePort()
  process.env.PUBLIC_URL = `http://127.0.0.1:${port}`
  forgetSingleton('env')
  const { createHttpApp } = await import('../../app/http-app.server')
  const { getEnv } = await import('../../app/lib/env.server')
  const app = createHttpApp({
    build,
    // Answers as in production: no stack traces in error pages.
    mode: 'production',
    publicUrl: getEnv().PUBLIC_URL,
    dev: false,
    // Each request names its own source in X-Forwarded-For, so per-source rate limits do not mix cells.
    trustProxy: 'loopback',
    devMiddlewares: (_req, _res, next) => next(),
    root,
  })
  // As app/server.ts does at start: /api/v1/match answers from this index, and would wait for a first load otherwise.
  const { startMatchIndex } = await import('../../app/matching/match-index.server')
  const matchIndex = startMatchIndex(60_000)
  const server = app.listen(port, '127.0.0.1')
  // A loaded machine can leave a pooled connection idle past Node's 5 s default; the client would then write to a closing socket.
  server.keepAliveTimeout = 120_000
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await matchIndex.stop()
      await vite.close()
    },
  }
}

// ---------------------------------------------------------------------------
// Bodies

/** Percent-encode bytes as a form does (application/x-www-form-urlencoded). */
function pct(bytes: Buffer): string {
  let out = ''
  for (const b of bytes) {
    const c = String.fromCharCode(b)
    out += /[A-Za-z0-9*\-._]/.test(c) ? c : c === ' ' ? '+' : `%${b.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

/** A string as UTF-8 bytes; a lone surrogate becomes the bytes a lenient encoder would write (CESU-8), which are not UTF-8. */
export function utf8(s: string): Buffer {
  const parts: Buffer[] = []
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i)
    const next = s.charCodeAt(i + 1)
    if (code >= 0xd800 && code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      parts.push(Buffer.from(s.slice(i, i + 2), 'utf8'))
      i++
    } else if (code >= 0xd800 && code <= 0xdfff) {
      parts.push(Buffer.from([0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]))
    } else {
      parts.push(Buffer.from(s[i]!, 'utf8'))
    }
  }
  return Buffer.concat(parts)
}

function encodeValue(value: unknown): string {
  if (value instanceof RawBytes) return pct(utf8(value.before)) + pct(value.bytes) + pct(utf8(value.after))
  if (value instanceof RawJson) return pct(utf8(value.text))
  return pct(utf8(typeof value === 'string' ? value : JSON.stringify(value)))
}

/** A flat object as form fields (or a query string): Dup sends a field twice, AsArray as `name[0]`. */
export function formBody(fields: Record<string, unknown>, extra: [string, string][] = []): string {
  const pairs: string[] = []
  for (const [key, value] of Object.entries(fields)) {
    if (value === MISSING || value === undefined) continue
    if (value instanceof Dup) for (const v of value.values) pairs.push(`${pct(utf8(key))}=${encodeValue(v)}`)
    else if (value instanceof AsArray) pairs.push(`${pct(utf8(`${key}[0]`))}=${encodeValue(value.value)}`)
    else pairs.push(`${pct(utf8(key))}=${encodeValue(value)}`)
  }
  for (const [key, value] of extra) pairs.push(`${pct(utf8(key))}=${pct(utf8(value))}`)
  return pairs.join('&')
}

/** JSON text, byte by byte, honouring the markers (Dup repeats a key, RawJson and RawBytes go in as they are). */
export function jsonBody(value: unknown): Buffer {
  const out: Buffer[] = []
  const write = (v: unknown): void => {
    if (v instanceof RawJson) out.push(Buffer.from(v.text))
    else if (v instanceof RawBytes) {
      out.push(Buffer.from(JSON.stringify(v.before).slice(0, -1)), v.bytes, Buffer.from(JSON.stringify(v.after).slice(1)))
    } else if (v instanceof AsArray) {
      out.push(Buffer.from('['))
      write(v.value)
      out.push(Buffer.from(']'))
    } else if (Array.isArray(v)) {
      out.push(Buffer.from('['))
      v.forEach((item, i) => {
        if (i > 0) out.push(Buffer.from(','))
        write(item === MISSING ? null : item)
      })
      out.push(Buffer.from(']'))
    } else if (v !== null && typeof v === 'object' && !(v instanceof Dup)) {
      out.push(Buffer.from('{'))
      let first = true
      for (const [k, item] of Object.entries(v)) {
        if (item === MISSING || item === undefined) continue
        for (const one of item instanceof Dup ? item.values : [item]) {
          if (!first) out.push(Buffer.from(','))
          first = false
          out.push(Buffer.from(`${JSON.stringify(k)}:`))
          write(one)
        }
      }
      out.push(Buffer.from('}'))
    } else out.push(Buffer.from(JSON.stringify(v) ?? 'null'))
  }
  write(value)
  return Buffer.concat(out)
}

/** A copy of `body` with the value at `at` replaced (objects and arrays copied along the way). */
export function setAt(body: unknown, at: (string | number)[], value: unknown): unknown {
  if (at.length === 0) return value
  const [head, ...rest] = at
  if (Array.isArray(body)) {
    const copy = [...body]
    copy[head as number] = setAt(copy[head as number], rest, value)
    return copy
  }
  const copy = { ...(body as Record<string, unknown>) }
  copy[head as string] = setAt(copy[head as string], rest, value)
  return copy
}

/** A path segment for a route parameter, any bytes allowed. */
export function pathSegment(value: unknown): string {
  if (value === MISSING) return ''
  if (value instanceof RawBytes) return pct(utf8(value.before)) + pct(value.bytes) + pct(utf8(value.after))
  if (value instanceof Dup) return pathSegment(value.values[0])
  if (value instanceof AsArray) return pathSegment(value.value)
  if (value instanceof RawJson) return pct(utf8(value.text))
  return pct(utf8(String(value))).replace(/\+/g, '%20')
}

// ---------------------------------------------------------------------------
// Raw HTTP, for bodies fetch will not send as asked

export interface RawAnswer {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
}

/**
 * Declare a `declaredBytes` body and send only its first `sendBytes` (or a
 * chunked body when declaredBytes is null): the server must answer before the
 * rest arrives, having read none of it.
 */
export function sendPartialBody(base: string, pathname: string, headers: Record<string, string>, declaredBytes: number | null, sendBytes: number): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const url = new URL(pathname, base)
    const req = http.request(url, {
      method: 'POST',
      headers: { ...headers, ...(declaredBytes === null ? { 'Transfer-Encoding': 'chunked' } : { 'Content-Length': String(declaredBytes) }) },
    })
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') })
        req.destroy()
      })
    })
    // The server closing while the body is still going out is the expected ending.
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error)
    })
    req.write(Buffer.alloc(sendBytes, 0x61))
  })
}

// ---------------------------------------------------------------------------
// Snapshots

/** Tables every request may touch without storing anything: counters, and a session's sliding expiry. */
const IGNORED_TABLES = new Set(['rate_limit'])
const VOLATILE: Record<string, string[]> = {
  session: ['last_seen_at', 'expires_at'],
  provider_api_key: ['last_used_at'],
  provider: ['feed_last_fetch_at'],
}
const TABLES: (keyof Database)[] = [
  'survivor_case',
  'case_hash',
  'case_location',
  'case_note',
  'case_recovery',
  'provider',
  'provider_domain',
  'provider_api_key',
  'notice',
  'notice_location',
  'notice_event',
  'notice_link',
  'outbox',
  'staff_user',
  'staff_invite',
  'session',
  'hash_feedback',
  'rate_limit',
  'idempotency_key',
  'audit_log',
  'audit_head',
]

export type Snapshot = Map<string, Set<string>>

/**
 * A count of writes per table, kept by triggers this suite adds to its own
 * test database, so a snapshot re-reads only the tables written since the
 * last one. Reading every row of every table after each cell was 40% of the
 * suite's time, and grew with the tables. Row triggers, not statement
 * triggers: an UPDATE that matches no row changes nothing and must not count.
 * The app never sees the difference: row counts and RETURNING leave out what
 * triggers do, on both engines.
 */
const changeCounting = new WeakSet<object>()
async function countChanges(db: ReturnType<typeof getDb>): Promise<void> {
  if (changeCounting.has(db)) return
  const tables = TABLES.filter((t) => !IGNORED_TABLES.has(t))
  await sql`create table if not exists hostile_change (tbl text primary key, n bigint not null)`.execute(db)
  for (const table of tables) await sql`insert into hostile_change (tbl, n) values (${table}, 0) on conflict (tbl) do nothing`.execute(db)
  if (process.env.TAKEBACK_TEST_DB === 'postgres') {
    await sql`create or replace function hostile_count_change() returns trigger language plpgsql as $$
      begin update hostile_change set n = n + 1 where tbl = TG_TABLE_NAME; return null; end $$`.execute(db)
    for (const table of tables) {
      await sql`drop trigger if exists hostile_count_change on ${sql.table(table)}`.execute(db)
      await sql`create trigger hostile_count_change after insert or update or delete on ${sql.table(table)} for each row execute function hostile_count_change()`.execute(db)
    }
  } else {
    for (const table of tables) {
      for (const op of ['insert', 'update', 'delete']) {
        await sql
          .raw(`create trigger if not exists hostile_count_${op}_${table} after ${op} on ${table} begin update hostile_change set n = n + 1 where tbl = '${table}'; end`)
          .execute(db)
      }
    }
  }
  changeCounting.add(db)
}

let previous: { counts: Map<string, string>; tables: Snapshot } | null = null

/** Every row of every table (less the ignored and volatile parts), one JSON string per row; tables not written since the last snapshot are taken from it. */
export async function snapshot(): Promise<Snapshot> {
  const db = getDb()
  await countChanges(db)
  const counted = await sql<{ tbl: string; n: string | number }>`select tbl, n from hostile_change`.execute(db)
  const counts = new Map(counted.rows.map((r) => [r.tbl, String(r.n)]))
  const out: Snapshot = new Map()
  for (const table of TABLES) {
    if (IGNORED_TABLES.has(table)) continue
    const kept = previous?.tables.get(table)
    if (kept && previous!.counts.get(table) === counts.get(table)) {
      out.set(table, kept)
      continue
    }
    const rows = await db.selectFrom(table).selectAll().execute()
    const drop = VOLATILE[table] ?? []
    out.set(
      table,
      new Set(
        rows.map((row) => {
          const r = { ...(row as Record<string, unknown>) }
          for (const c of drop) delete r[c]
          // Same text on both engines: PostgreSQL hands bigints back as strings.
          return JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' || typeof v === 'number' ? String(v) : v))
        }),
      ),
    )
  }
  previous = { counts, tables: out }
  return out
}

export interface Diff {
  tables: string[]
  added: string[]
  removed: string[]
}

export function diff(before: Snapshot, after: Snapshot): Diff {
  const tables: string[] = []
  const added: string[] = []
  const removed: string[] = []
  for (const [table, rows] of after) {
    const old = before.get(table) ?? new Set<string>()
    const plus = [...rows].filter((r) => !old.has(r))
    const minus = [...old].filter((r) => !rows.has(r))
    if (plus.length || minus.length) tables.push(table)
    added.push(...plus.map((r) => `${table}+ ${r}`))
    removed.push(...minus.map((r) => `${table}- ${r}`))
  }
  return { tables, added, removed }
}
