/**
 * Fixed-window rate limits kept in the database, so every instance behind a
 * load balancer counts the same attempts. Keys are stored as SHA-256: a key
 * may name a source address, and raw addresses are never written down.
 */
import { isIPv6 } from 'node:net'
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema'
import { sha256Hex } from './crypto.server'

export interface RateLimit {
  /** Attempts allowed in one window. */
  limit: number
  windowMs: number
}

export interface RateLimitResult {
  allowed: boolean
  /** Attempts left in this window. */
  remaining: number
  /** 0 when allowed; otherwise how long until the window resets. */
  retryAfterMs: number
}

/**
 * Count one attempt against `key` and say whether it is within the limit.
 *
 * One statement, hand-written on purpose: an upsert through Kysely's
 * `onConflict` that both SQLite and PostgreSQL run, over the schema's own
 * `rate_limit` table, so there is one code path and no read-then-write race.
 * An expired window restarts at 1 instead of adding.
 */
export async function hitRateLimit(
  db: Kysely<Database>,
  key: string,
  { limit, windowMs }: RateLimit,
  now = Date.now(),
): Promise<RateLimitResult> {
  const row = await db
    .insertInto('rate_limit')
    .values({ key: sha256Hex(key), count: 1, reset_at: now + windowMs })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet((eb) => {
        const expired = eb('rate_limit.reset_at', '<=', now)
        return {
          count: eb.case().when(expired).then(1).else(eb('rate_limit.count', '+', 1)).end(),
          reset_at: eb.case().when(expired).then(now + windowMs).else(eb.ref('rate_limit.reset_at')).end(),
        }
      }),
    )
    .returning(['count', 'reset_at'])
    .executeTakeFirstOrThrow()
  const count = Number(row.count)
  const allowed = count <= limit
  return {
    allowed,
    remaining: Math.max(0, limit - count),
    retryAfterMs: allowed ? 0 : Math.max(0, Number(row.reset_at) - now),
  }
}

/** Delete windows that have ended; returns how many rows went. */
export async function purgeExpiredRateLimits(db: Kysely<Database>, now = Date.now()): Promise<number> {
  const result = await db.deleteFrom('rate_limit').where('reset_at', '<=', now).executeTakeFirst()
  return Number(result.numDeletedRows)
}

/**
 * The source a client address counts as. One IPv6 client is usually given a
 * whole /64, so IPv6 addresses count by their /64 (otherwise one machine
 * would have billions of budgets); an IPv4-mapped address counts as IPv4.
 */
export function rateLimitSource(address: string | undefined): string {
  if (!address) return 'unknown'
  const plain = address.replace(/%.*$/, '')
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(plain)
  if (mapped) return mapped[1]!
  if (!isIPv6(plain)) return plain
  const [head = '', tail] = plain.split('::')
  const left = head ? head.split(':') : []
  const right = tail ? tail.split(':') : []
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`
}
