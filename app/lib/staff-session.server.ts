/**
 * Staff sessions: a random token in the `tb_staff` cookie, its SHA-256 as the
 * `session` row id (kind 'staff'), so a copy of the table opens no session.
 *
 * A session is either *pending* (the password was right; the second factor is
 * still to come, `data` = {stage:'totp'} or {stage:'enrol', secret}) or *full*
 * (`data` null). Each step that raises privilege issues a new token and
 * deletes the old row, so a token seen before sign-in is worth nothing after.
 *
 * Full sessions end after 30 minutes without use and 12 hours after sign-in
 * (a working day), pending ones after 10 minutes. A disabled account's
 * sessions are deleted on the next lookup even if disabling missed one.
 *
 * Cookie: HttpOnly, Path=/, Secure on https, and SameSite=Lax. Lax, not
 * Strict: Lax already keeps the cookie off cross-site POSTs, frames and
 * fetches, which is what forgery needs; Strict would also drop it when a
 * caseworker follows a link to a staff page from their mail or chat, landing
 * them signed out. GETs change nothing here, and every POST must also pass
 * requireSameOrigin, the first layer against forgery.
 */
import { redirect } from '@remix-run/node'
import type { Kysely } from 'kysely'
import { z } from 'zod'
import type { Database, StaffRole } from '../../db/schema'
import { getDb } from './db.server'
import { getEnv } from './env.server'
import {
  clearSessionCookie,
  readSessionToken,
  sessionCookieSettings,
  setSessionCookie,
  type SessionCookieSettings,
} from './session-cookie.server'
import { randomToken, tokenHash } from './tokens.server'

export const STAFF_SESSION_IDLE_MS = 30 * 60 * 1000
export const STAFF_SESSION_MAX_MS = 12 * 60 * 60 * 1000
/** A password without its second factor is good for this long. */
export const STAFF_PENDING_MAX_MS = 10 * 60 * 1000
/**
 * Use is recorded at most once a minute: every staff page would otherwise be
 * a write, and SQLite has one writer. The idle limit is then exact to a minute.
 */
const TOUCH_EVERY_MS = 60 * 1000

export const STAFF_COOKIE = 'tb_staff'
export const STAFF_SIGN_IN_PATH = '/staff/sign-in'

const PendingData = z.discriminatedUnion('stage', [
  z.object({ stage: z.literal('totp') }),
  /** `secret` is the new TOTP secret, encrypted (crypto.server), until a code confirms it. */
  z.object({ stage: z.literal('enrol'), secret: z.string().min(1) }),
])
export type PendingStage = z.infer<typeof PendingData>

export interface StaffIdentity {
  id: string
  email: string
  role: StaffRole
}

export type StaffSession =
  | { id: string; staff: StaffIdentity; stage: 'full'; expiresAt: number }
  | { id: string; staff: StaffIdentity; stage: 'pending'; pending: PendingStage; expiresAt: number }

// ---------------------------------------------------------------------------
// Cookie

export type StaffCookieSettings = SessionCookieSettings

export function staffCookieSettings(publicUrl: string = getEnv().PUBLIC_URL): StaffCookieSettings {
  return sessionCookieSettings(STAFF_COOKIE, 'Lax', publicUrl)
}

/** Set-Cookie for `token`. */
export function staffSessionCookie(token: string, settings = staffCookieSettings()): string {
  return setSessionCookie(token, settings)
}

export function clearStaffSessionCookie(settings = staffCookieSettings()): string {
  return clearSessionCookie(settings)
}

/** The staff token from a Cookie header, or null. */
export function readStaffToken(cookieHeader: string | null, settings = staffCookieSettings()): string | null {
  return readSessionToken(cookieHeader, settings)
}

export function staffTokenFrom(request: Request): string | null {
  return readStaffToken(request.headers.get('Cookie'))
}

// ---------------------------------------------------------------------------
// Rows

/**
 * Start a session for `staffId`: full when `pending` is null, else pending.
 * Returns the token, which only the browser ever sees.
 */
export async function createStaffSession(
  db: Kysely<Database>,
  staffId: string,
  pending: PendingStage | null,
  now = Date.now(),
): Promise<{ token: string; expiresAt: number }> {
  const token = randomToken()
  const expiresAt = now + (pending ? STAFF_PENDING_MAX_MS : STAFF_SESSION_MAX_MS)
  await db
    .insertInto('session')
    .values({
      id: tokenHash(token),
      kind: 'staff',
      staff_id: staffId,
      case_id: null,
      data: pending ? JSON.stringify(pending) : null,
      created_at: now,
      last_seen_at: now,
      expires_at: expiresAt,
    })
    .execute()
  return { token, expiresAt }
}

/**
 * The live session behind `token`, marked used. Expired sessions are deleted
 * and give null; so does every session of a disabled account, all at once.
 */
export async function findStaffSession(db: Kysely<Database>, token: string, now = Date.now()): Promise<StaffSession | null> {
  const id = tokenHash(token)
  const row = await db
    .selectFrom('session')
    .innerJoin('staff_user', 'staff_user.id', 'session.staff_id')
    .select([
      'session.data',
      'session.last_seen_at',
      'session.expires_at',
      'staff_user.id as staff_id',
      'staff_user.email',
      'staff_user.role',
      'staff_user.disabled_at',
    ])
    .where('session.id', '=', id)
    .where('session.kind', '=', 'staff')
    .executeTakeFirst()
  if (!row) return null
  if (row.disabled_at !== null) {
    await destroyAllStaffSessions(db, row.staff_id)
    return null
  }
  const pending = row.data === null ? null : PendingData.safeParse(safeJson(row.data))
  const idleMs = pending ? STAFF_PENDING_MAX_MS : STAFF_SESSION_IDLE_MS
  if (row.expires_at <= now || row.last_seen_at + idleMs <= now || (pending && !pending.success)) {
    await db.deleteFrom('session').where('id', '=', id).execute()
    return null
  }
  if (now - row.last_seen_at >= TOUCH_EVERY_MS) {
    await db.updateTable('session').set({ last_seen_at: now }).where('id', '=', id).execute()
  }
  const staff: StaffIdentity = { id: row.staff_id, email: row.email, role: row.role }
  const expiresAt = Math.min(row.expires_at, now + idleMs)
  return pending?.success
    ? { id, staff, stage: 'pending', pending: pending.data, expiresAt }
    : { id, staff, stage: 'full', expiresAt }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}

/** End the session behind `token` (sign out, or a step replaced by the next). */
export async function destroyStaffSession(db: Kysely<Database>, token: string): Promise<void> {
  await db.deleteFrom('session').where('id', '=', tokenHash(token)).where('kind', '=', 'staff').execute()
}

/** End every session of one account: when it is disabled or its second factor is reset. */
export async function destroyAllStaffSessions(db: Kysely<Database>, staffId: string): Promise<void> {
  await db.deleteFrom('session').where('kind', '=', 'staff').where('staff_id', '=', staffId).execute()
}

// ---------------------------------------------------------------------------
// Guards for loaders and actions

/** The signed-in staff member (both factors), or null. */
export async function getStaff(request: Request, { now = Date.now(), db = getDb() }: { now?: number; db?: Kysely<Database> } = {}): Promise<StaffIdentity | null> {
  const token = staffTokenFrom(request)
  if (!token) return null
  const session = await findStaffSession(db, token, now)
  return session?.stage === 'full' ? session.staff : null
}

/**
 * The signed-in staff member, or a thrown answer: a redirect to the sign-in
 * page when there is no full session (clearing a dead cookie), a 403 when the
 * account lacks `role`.
 */
export async function requireStaff(
  request: Request,
  { role, now = Date.now(), db = getDb() }: { role?: StaffRole; now?: number; db?: Kysely<Database> } = {},
): Promise<StaffIdentity> {
  const token = staffTokenFrom(request)
  const session = token ? await findStaffSession(db, token, now) : null
  if (!session || session.stage !== 'full') {
    // A pending session is kept: the person may be on their way to the code step.
    const headers = token && !session ? { 'Set-Cookie': clearStaffSessionCookie() } : undefined
    throw redirect(STAFF_SIGN_IN_PATH, { headers })
  }
  if (role && session.staff.role !== role) {
    // No body: the error page explains a 403 in the reader's language.
    throw new Response(null, { status: 403 })
  }
  return session.staff
}

/**
 * The pending session of the sign-in step `stage`, with its token, or a
 * redirect to the start of sign-in.
 */
export async function requirePendingStaff<S extends PendingStage['stage']>(
  request: Request,
  stage: S,
  { now = Date.now(), db = getDb() }: { now?: number; db?: Kysely<Database> } = {},
): Promise<{ token: string; staff: StaffIdentity; pending: Extract<PendingStage, { stage: S }> }> {
  const token = staffTokenFrom(request)
  const session = token ? await findStaffSession(db, token, now) : null
  if (!token || !session || session.stage !== 'pending' || session.pending.stage !== stage) {
    throw redirect(STAFF_SIGN_IN_PATH, { headers: token && !session ? { 'Set-Cookie': clearStaffSessionCookie() } : undefined })
  }
  return { token, staff: session.staff, pending: session.pending as Extract<PendingStage, { stage: S }> }
}

/**
 * Refuse a cross-site POST with 403: the Origin header, or the Referer when
 * there is no Origin, must name PUBLIC_URL's origin. Call first in every staff
 * action. A form posted by the browser without our script sends
 * `Origin: null` under the site-wide `Referrer-Policy: no-referrer`, so staff
 * pages lower their own policy to `same-origin` (see staffMeta).
 */
export function requireSameOrigin(request: Request, publicUrl: string = getEnv().PUBLIC_URL): void {
  const expected = new URL(publicUrl).origin
  const origin = request.headers.get('Origin')
  let actual: string | null = origin
  if (origin === null) {
    const referer = request.headers.get('Referer')
    try {
      actual = referer ? new URL(referer).origin : null
    } catch {
      actual = null
    }
  }
  if (actual !== expected) {
    throw new Response(null, { status: 403 })
  }
}
