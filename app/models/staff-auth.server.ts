/**
 * Staff sign-in: a password, then a code from an authenticator app (or, at
 * the first sign-in and after a reset, enrolment of that app). Each step that
 * succeeds replaces the session with a new one (see staff-session.server.ts).
 *
 * Answers never say whether an account exists: an unknown address, a wrong
 * password and a disabled account all cost one argon2 verification and one
 * audit entry, and all answer `invalid`.
 */
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema'
import { decryptPersonal, encryptPersonal } from '../lib/crypto.server'
import { verifyPassword } from '../lib/passwords.server'
import { hitRateLimit, type RateLimit } from '../lib/rate-limit.server'
import {
  createStaffSession,
  destroyStaffSession,
  findStaffSession,
  type PendingStage,
  type StaffIdentity,
} from '../lib/staff-session.server'
import { formatTotpSecret, matchTotpStep, newTotpSecret, totpAuthUri, totpQrSvg } from '../lib/totp.server'
import { tokenHash } from '../lib/tokens.server'
import { appendAudit } from './audit.server'
import { PASSWORD_MAX } from './staff.schema'

const FIFTEEN_MINUTES = 15 * 60 * 1000
/** Guesses at one account's password, from anywhere. */
export const STAFF_SIGN_IN_LIMIT_PER_ACCOUNT: RateLimit = { limit: 5, windowMs: FIFTEEN_MINUTES }
/** Sign-in attempts from one source, whichever accounts they name. */
export const STAFF_SIGN_IN_LIMIT_PER_SOURCE: RateLimit = { limit: 20, windowMs: FIFTEEN_MINUTES }
/** Codes tried for one account: three codes are valid at any moment, so guessing must stay slow. */
export const STAFF_CODE_LIMIT_PER_ACCOUNT: RateLimit = { limit: 5, windowMs: FIFTEEN_MINUTES }

/**
 * argon2id of a random string nobody knows, with the parameters of
 * passwords.server.ts, verified when no account has the address so that the
 * work (and the time) is the same as for a real account.
 */
const DUMMY_PASSWORD_HASH = '$argon2id$v=19$m=19456,p=1,t=3$A5d6aTEEeOg98EqnyAZIcg$a5g22XTGM81E7+cw3fy3e2N3/MtobvbrzqcOa/J6bww'

export type PasswordStepResult =
  | { ok: true; token: string; next: 'totp' | 'enrol' }
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'throttled'; retryAfterMs: number }

export type CodeStepResult =
  | { ok: true; token: string; staffId: string }
  | { ok: false; reason: 'invalid' | 'expired' }
  | { ok: false; reason: 'throttled'; retryAfterMs: number }

/**
 * First step: check email and password from `source` (the client address, a
 * rate-limit key only). On success, a pending session waits for the second
 * factor; `replacing` is the token the browser held before, which is ended.
 */
export async function signInWithPassword(
  db: Kysely<Database>,
  input: { email: string; password: string },
  source: string,
  { now = Date.now(), replacing = null }: { now?: number; replacing?: string | null } = {},
): Promise<PasswordStepResult> {
  const email = input.email.trim().toLowerCase()
  const perSource = await hitRateLimit(db, `staff.sign-in:source:${source}`, STAFF_SIGN_IN_LIMIT_PER_SOURCE, now)
  if (!perSource.allowed) return { ok: false, reason: 'throttled', retryAfterMs: perSource.retryAfterMs }
  // Counted for every address, known or not, so the limit itself reveals nothing.
  const perAccount = await hitRateLimit(db, `staff.sign-in:account:${email}`, STAFF_SIGN_IN_LIMIT_PER_ACCOUNT, now)
  if (!perAccount.allowed) return { ok: false, reason: 'throttled', retryAfterMs: perAccount.retryAfterMs }
  // Refused before hashing: argon2 over megabytes of input would be a cheap way to load the server.
  if (input.password.length === 0 || input.password.length > PASSWORD_MAX) return { ok: false, reason: 'invalid' }

  const row = await db
    .selectFrom('staff_user')
    .select(['id', 'password_hash', 'totp_secret', 'disabled_at'])
    .where('email', '=', email)
    .executeTakeFirst()
  const verified = await verifyPassword(row?.password_hash ?? DUMMY_PASSWORD_HASH, input.password)

  if (!verified || !row || row.disabled_at !== null) {
    await db.transaction().execute((trx) =>
      appendAudit(
        trx,
        { actorType: 'staff', actorId: null, action: 'staff.sign_in_failed', objectType: 'staff_user', objectId: row?.id ?? null, detail: { step: 'password' } },
        now,
      ),
    )
    return { ok: false, reason: 'invalid' }
  }

  // Enrolment's secret is made now and kept, encrypted, in the pending
  // session, so the page shows the same QR code however often it is loaded.
  const pending: PendingStage = row.totp_secret ? { stage: 'totp' } : { stage: 'enrol', secret: encryptPersonal(newTotpSecret()) }
  return db.transaction().execute(async (trx) => {
    if (replacing) await destroyStaffSession(trx, replacing)
    const session = await createStaffSession(trx, row.id, pending, now)
    await appendAudit(trx, { actorType: 'staff', actorId: row.id, action: 'staff.password_accepted', objectType: 'staff_user', objectId: row.id }, now)
    return { ok: true as const, token: session.token, next: pending.stage }
  })
}

/** The pending session behind `token` at `stage`, or null. */
async function pendingAt<S extends PendingStage['stage']>(db: Kysely<Database>, token: string, stage: S, now: number) {
  const session = await findStaffSession(db, token, now)
  if (!session || session.stage !== 'pending' || session.pending.stage !== stage) return null
  return { staff: session.staff, pending: session.pending as Extract<PendingStage, { stage: S }> }
}

async function codeRejected(db: Kysely<Database>, staffId: string, reason: 'wrong' | 'used', now: number): Promise<CodeStepResult> {
  await db.transaction().execute((trx) =>
    appendAudit(trx, { actorType: 'staff', actorId: staffId, action: 'staff.code_rejected', objectType: 'staff_user', objectId: staffId, detail: { reason } }, now),
  )
  return { ok: false, reason: 'invalid' }
}

/**
 * Second step for an enrolled account: a code from the app. A code is
 * accepted only for a time step later than the last one accepted, so the same
 * code, or an older one still inside the window, never works twice.
 */
export async function verifySignInCode(db: Kysely<Database>, token: string, code: string, now = Date.now()): Promise<CodeStepResult> {
  const session = await pendingAt(db, token, 'totp', now)
  if (!session) return { ok: false, reason: 'expired' }
  const staffId = session.staff.id
  const limit = await hitRateLimit(db, `staff.code:account:${staffId}`, STAFF_CODE_LIMIT_PER_ACCOUNT, now)
  if (!limit.allowed) return { ok: false, reason: 'throttled', retryAfterMs: limit.retryAfterMs }

  const row = await db.selectFrom('staff_user').select(['totp_secret', 'totp_last_step']).where('id', '=', staffId).executeTakeFirst()
  if (!row?.totp_secret) {
    // The second factor was reset after the password step: start again.
    await destroyStaffSession(db, token)
    return { ok: false, reason: 'expired' }
  }
  const step = await matchTotpStep(decryptPersonal(row.totp_secret), code)
  if (step === null) return codeRejected(db, staffId, 'wrong', now)
  if (row.totp_last_step !== null && step <= row.totp_last_step) return codeRejected(db, staffId, 'used', now)

  const result = await db.transaction().execute(async (trx) => {
    // The step is checked again in the update itself, so two requests racing
    // with the same code cannot both pass.
    const updated = await trx
      .updateTable('staff_user')
      .set({ totp_last_step: step, last_sign_in_at: now, updated_at: now })
      .where('id', '=', staffId)
      .where('disabled_at', 'is', null)
      .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
      .executeTakeFirst()
    if (Number(updated.numUpdatedRows) !== 1) return null
    return finishSignIn(trx, token, staffId, 'staff.signed_in', now)
  })
  return result ?? codeRejected(db, staffId, 'used', now)
}

/** What the enrolment page shows: the secret as a QR code and as text to type. */
export async function getEnrolment(staff: StaffIdentity, pending: Extract<PendingStage, { stage: 'enrol' }>) {
  const secret = decryptPersonal(pending.secret)
  const uri = totpAuthUri(secret, staff.email)
  return { manualKey: formatTotpSecret(secret), qrSvg: await totpQrSvg(uri), accountName: staff.email }
}

/**
 * Enrolment: a code from the app proves it holds the secret shown. The secret
 * is then stored (encrypted) and the sign-in is complete: the password and the
 * code are both factors.
 */
export async function confirmEnrolment(db: Kysely<Database>, token: string, code: string, now = Date.now()): Promise<CodeStepResult> {
  const session = await pendingAt(db, token, 'enrol', now)
  if (!session) return { ok: false, reason: 'expired' }
  const staffId = session.staff.id
  const limit = await hitRateLimit(db, `staff.code:account:${staffId}`, STAFF_CODE_LIMIT_PER_ACCOUNT, now)
  if (!limit.allowed) return { ok: false, reason: 'throttled', retryAfterMs: limit.retryAfterMs }

  const step = await matchTotpStep(decryptPersonal(session.pending.secret), code)
  if (step === null) return codeRejected(db, staffId, 'wrong', now)

  const result = await db.transaction().execute(async (trx) => {
    // Only an account without a second factor takes a new one: a pending
    // enrolment cannot overwrite a factor enrolled meanwhile.
    const updated = await trx
      .updateTable('staff_user')
      .set({ totp_secret: session.pending.secret, totp_last_step: step, last_sign_in_at: now, updated_at: now })
      .where('id', '=', staffId)
      .where('disabled_at', 'is', null)
      .where('totp_secret', 'is', null)
      .executeTakeFirst()
    if (Number(updated.numUpdatedRows) !== 1) return null
    await appendAudit(trx, { actorType: 'staff', actorId: staffId, action: 'staff.totp_enrolled', objectType: 'staff_user', objectId: staffId }, now)
    return finishSignIn(trx, token, staffId, 'staff.signed_in', now)
  })
  if (!result) {
    await destroyStaffSession(db, token)
    return { ok: false, reason: 'expired' }
  }
  return result
}

/** Replace the pending session with a full one under a new token. */
async function finishSignIn(trx: Parameters<typeof appendAudit>[0], pendingToken: string, staffId: string, action: string, now: number) {
  await trx.deleteFrom('session').where('id', '=', tokenHash(pendingToken)).execute()
  const session = await createStaffSession(trx, staffId, null, now)
  await appendAudit(trx, { actorType: 'staff', actorId: staffId, action, objectType: 'staff_user', objectId: staffId }, now)
  return { ok: true as const, token: session.token, staffId }
}

/** Sign out: end the session behind `token`, whatever stage it is at. */
export async function signOutStaff(db: Kysely<Database>, token: string, now = Date.now()): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await trx
      .deleteFrom('session')
      .where('id', '=', tokenHash(token))
      .where('kind', '=', 'staff')
      .returning('staff_id')
      .executeTakeFirst()
    if (row?.staff_id) {
      await appendAudit(trx, { actorType: 'staff', actorId: row.staff_id, action: 'staff.signed_out', objectType: 'staff_user', objectId: row.staff_id }, now)
    }
  })
}
