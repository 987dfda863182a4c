/**
 * Survivor sessions: a random token in an HttpOnly cookie, its SHA-256 as the
 * `session` row id. A session ends after 15 minutes without use and 2 hours
 * after sign-in whatever happens, because survivors often share devices.
 */
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema'
import { getEnv } from './env.server'
import {
  clearSessionCookie,
  readSessionToken,
  sessionCookieSettings,
  setSessionCookie,
  type SessionCookieSettings,
} from './session-cookie.server'
import { randomToken, tokenHash } from './tokens.server'

export const SURVIVOR_SESSION_IDLE_MS = 15 * 60 * 1000
export const SURVIVOR_SESSION_MAX_MS = 2 * 60 * 60 * 1000
/** How often a session's use is written down (see findSurvivorSession). */
export const SURVIVOR_TOUCH_EVERY_MS = 60 * 1000

export type CookieSettings = SessionCookieSettings

/** The survivor cookie's attributes. SameSite=Strict: survivors never arrive at their case by a link. */
export function survivorCookieSettings(publicUrl: string = getEnv().PUBLIC_URL): CookieSettings {
  return sessionCookieSettings('tb_case', 'Strict', publicUrl)
}

/** The Set-Cookie header value that stores `token`. */
export function survivorSessionCookie(token: string, settings: CookieSettings = survivorCookieSettings()): string {
  return setSessionCookie(token, settings)
}

/** The Set-Cookie header value that removes the survivor cookie. */
export function clearSurvivorSessionCookie(settings: CookieSettings = survivorCookieSettings()): string {
  return clearSessionCookie(settings)
}

/** The survivor token from a Cookie request header, or null. */
export function readSurvivorToken(cookieHeader: string | null, settings: CookieSettings = survivorCookieSettings()): string | null {
  return readSessionToken(cookieHeader, settings)
}

/** Start a new session for a case; returns the cookie token (shown to no one but the browser). */
export async function createSurvivorSession(
  db: Kysely<Database>,
  caseId: string,
  now = Date.now(),
): Promise<{ token: string; expiresAt: number }> {
  const token = randomToken()
  const expiresAt = now + SURVIVOR_SESSION_MAX_MS
  await db
    .insertInto('session')
    .values({ id: tokenHash(token), kind: 'survivor', staff_id: null, case_id: caseId, data: null, created_at: now, last_seen_at: now, expires_at: expiresAt })
    .execute()
  return { token, expiresAt }
}

/**
 * The case a live session belongs to, and mark it used now. An idle or
 * too-old session is deleted and gives null.
 */
export async function findSurvivorSession(
  db: Kysely<Database>,
  token: string,
  now = Date.now(),
): Promise<{ caseId: string; expiresAt: number } | null> {
  const id = tokenHash(token)
  const row = await db
    .selectFrom('session')
    .select(['case_id', 'last_seen_at', 'expires_at'])
    .where('id', '=', id)
    .where('kind', '=', 'survivor')
    .executeTakeFirst()
  if (!row || row.case_id === null) return null
  if (row.expires_at <= now || row.last_seen_at + SURVIVOR_SESSION_IDLE_MS <= now) {
    await db.deleteFrom('session').where('id', '=', id).execute()
    return null
  }
  // Use is recorded at most once a minute, as for staff: otherwise every
  // status page is a write (a commit flushed to disk, and SQLite's one
  // writer). The idle limit is then exact to a minute.
  let seen = row.last_seen_at
  if (now - seen >= SURVIVOR_TOUCH_EVERY_MS) {
    await db.updateTable('session').set({ last_seen_at: now }).where('id', '=', id).execute()
    seen = now
  }
  return { caseId: row.case_id, expiresAt: Math.min(row.expires_at, seen + SURVIVOR_SESSION_IDLE_MS) }
}

/** End the session behind `token` (sign out). */
export async function destroySurvivorSession(db: Kysely<Database>, token: string): Promise<void> {
  await db.deleteFrom('session').where('id', '=', tokenHash(token)).where('kind', '=', 'survivor').execute()
}

/** End every session of a case: after a secret reset or deletion. */
export async function destroyCaseSessions(db: Kysely<Database>, caseId: string): Promise<void> {
  await db.deleteFrom('session').where('kind', '=', 'survivor').where('case_id', '=', caseId).execute()
}
