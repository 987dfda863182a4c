/**
 * Staff accounts as a browser and an administrator meet them: password and
 * authenticator sign-in, sessions, invitations, disabling, resets and the
 * same-origin check, through the real loaders and actions, on SQLite and
 * PostgreSQL.
 *
 * The TOTP library reads the clock itself, so the clock is faked (Date only,
 * timers stay real) and moved in 30-second steps where a test needs a new code.
 */
import crypto from 'node:crypto'
import argon2 from 'argon2'
import { generateTOTP } from '@epic-web/totp'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { staffInviteEmail } from '../../emails/staff-invite'
import { decryptPersonal, encryptPersonal } from '../../app/lib/crypto.server'
import { getDb } from '../../app/lib/db.server'
import { getEnv } from '../../app/lib/env.server'
import { newId } from '../../app/lib/ids.server'
import { hashPassword } from '../../app/lib/passwords.server'
import {
  STAFF_SESSION_IDLE_MS,
  STAFF_SESSION_MAX_MS,
  createStaffSession,
  findStaffSession,
  requireSameOrigin,
  requireStaff,
} from '../../app/lib/staff-session.server'
import { currentTotpStep, newTotpSecret } from '../../app/lib/totp.server'
import { tokenHash } from '../../app/lib/tokens.server'
import { verifyAuditChain } from '../../app/models/audit.server'
import { inviteStaff } from '../../app/models/staff-admin.server'
import { signInWithPassword } from '../../app/models/staff-auth.server'
import { createFirstAdmin, openSetupLink } from '../../app/models/staff.server'
import { action as adminAction, loader as adminLoader } from '../../app/routes/staff.admin.staff'
import { action as enrolAction, loader as enrolLoader } from '../../app/routes/staff.enrol'
import { loader as homeLoader } from '../../app/routes/staff._index'
import { action as acceptAction, loader as acceptLoader } from '../../app/routes/staff.invite.accept'
import { action as signInAction, loader as signInLoader } from '../../app/routes/staff.sign-in'
import { action as codeAction, loader as codeLoader } from '../../app/routes/staff.sign-in_.code'
import { action as signOutAction } from '../../app/routes/staff.sign-out'
import { callRoute, type RouteResult } from '../helpers/remix'

const PASSWORD = 'correct horse battery staple'
const STEP_MS = 30_000

beforeAll(() => {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(Date.now())
})
afterAll(() => {
  vi.useRealTimers()
})
afterEach(() => {
  vi.restoreAllMocks()
})

/** Move the (fake) clock on, by default to the next TOTP step. */
function tick(ms = STEP_MS) {
  vi.setSystemTime(Date.now() + ms)
}

const origin = () => new URL(getEnv().PUBLIC_URL).origin

let sources = 0
/** A fresh client address, so each test has its own per-source budget. */
const newSource = () => `198.51.100.${++sources}`

function headers(token?: string | null, extra: Record<string, string> = {}): Record<string, string> {
  return { Origin: origin(), ...(token ? { Cookie: `tb_staff=${token}` } : {}), ...extra }
}

/** The staff token a response sets, or null when it sets none (or clears it). */
function setToken(res: RouteResult): string | null {
  const cookie = res.headers.get('Set-Cookie')
  const match = cookie?.match(/(?:^|,\s*)tb_staff=([^;]*)/)
  return match?.[1] ? match[1] : null
}

async function codeFor(secret: string, stepOffset = 0): Promise<string> {
  if (stepOffset === 0) return (await generateTOTP({ secret, period: 30, digits: 6, algorithm: 'SHA-1' })).otp
  const now = Date.now()
  vi.setSystemTime(now + stepOffset * STEP_MS)
  try {
    return (await generateTOTP({ secret, period: 30, digits: 6, algorithm: 'SHA-1' })).otp
  } finally {
    vi.setSystemTime(now)
  }
}

interface TestStaff {
  id: string
  email: string
  password: string
  secret: string | null
}

/** An account written straight to the table, enrolled unless told otherwise. */
async function makeStaff({ role = 'caseworker', enrolled = true }: { role?: 'caseworker' | 'admin'; enrolled?: boolean } = {}): Promise<TestStaff> {
  const id = newId()
  const email = `staff-${crypto.randomBytes(4).toString('hex')}@example.org`
  const secret = enrolled ? newTotpSecret() : null
  const now = Date.now()
  await getDb()
    .insertInto('staff_user')
    .values({
      id,
      email,
      role,
      password_hash: await hashPassword(PASSWORD),
      totp_secret: secret ? encryptPersonal(secret) : null,
      totp_last_step: null,
      disabled_at: null,
      last_sign_in_at: null,
      created_at: now,
      updated_at: now,
    })
    .execute()
  return { id, email, password: PASSWORD, secret }
}

function postPassword(email: string, password: string, source = newSource(), token?: string | null) {
  return callRoute(signInAction, '/staff/sign-in', { form: { email, password }, headers: headers(token), clientAddress: source })
}

function postCode(token: string | null, code: string) {
  return callRoute(codeAction, '/staff/sign-in/code', { form: { code }, headers: headers(token) })
}

/** Both factors, on a fresh TOTP step; returns the full session's token. */
async function signIn(staff: TestStaff): Promise<string> {
  tick()
  const pending = setToken(await postPassword(staff.email, staff.password))
  expect(pending).toBeTruthy()
  const done = await postCode(pending, await codeFor(staff.secret!))
  expect(done.status).toBe(303)
  return setToken(done)!
}

const sessionRow = (token: string) => getDb().selectFrom('session').selectAll().where('id', '=', tokenHash(token)).executeTakeFirst()
const sessionsOf = (staffId: string) => getDb().selectFrom('session').select('id').where('staff_id', '=', staffId).execute()
const staffRow = (id: string) => getDb().selectFrom('staff_user').selectAll().where('id', '=', id).executeTakeFirstOrThrow()

describe('the first administrator', () => {
  it('signs in with the password from /setup, enrols an authenticator app, and reaches /staff', async () => {
    const db = getDb()
    const setupToken = await openSetupLink(db)
    const email = 'first.admin@example.org'
    const { id } = await createFirstAdmin(db, { token: setupToken!, email, password: PASSWORD })

    const anonymous = await callRoute(homeLoader, '/staff')
    expect(anonymous.status).toBe(302)
    expect(anonymous.headers.get('Location')).toBe('/staff/sign-in')

    const password = await postPassword(email, PASSWORD)
    expect(password.status).toBe(303)
    expect(password.headers.get('Location')).toBe('/staff/enrol')
    expect(password.headers.get('Set-Cookie')).toMatch(/^tb_staff=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/)
    const pending = setToken(password)!

    // Half signed in is not signed in.
    expect((await callRoute(homeLoader, '/staff', { headers: headers(pending) })).status).toBe(302)
    expect((await callRoute(codeLoader, '/staff/sign-in/code', { headers: headers(pending) })).status).toBe(302)

    const page = await callRoute(enrolLoader, '/staff/enrol', { headers: headers(pending) })
    expect(page.status).toBe(200)
    expect(page.data.qrSvg).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/)
    expect(page.data.qrSvg).not.toMatch(/<script|style=|on\w+=/i)
    expect(page.data.accountName).toBe(email)
    const secret = String(page.data.manualKey).replace(/ /g, '')
    expect(secret).toMatch(/^[A-Z2-7]{32}$/)
    // The same secret on every load, so a reload does not undo a scan.
    expect((await callRoute(enrolLoader, '/staff/enrol', { headers: headers(pending) })).data.manualKey).toBe(page.data.manualKey)

    const wrong = await callRoute(enrolAction, '/staff/enrol', { form: { code: await codeFor(secret, 5) }, headers: headers(pending) })
    expect(wrong.status).toBe(400)
    expect(wrong.data.result.error).toEqual({ '': ['staff.code.invalid'] })
    expect((await staffRow(id)).totp_secret).toBeNull()

    const code = await codeFor(secret)
    const done = await callRoute(enrolAction, '/staff/enrol', { form: { code: `${code.slice(0, 3)} ${code.slice(3)}` }, headers: headers(pending) })
    expect(done.status).toBe(303)
    expect(done.headers.get('Location')).toBe('/staff')
    const full = setToken(done)!
    expect(full).not.toBe(pending)
    expect(await sessionRow(pending)).toBeUndefined()
    expect(await sessionRow(full)).toMatchObject({ kind: 'staff', staff_id: id, data: null })

    const row = await staffRow(id)
    expect(decryptPersonal(row.totp_secret!)).toBe(secret)
    expect(row.totp_last_step).toBe(currentTotpStep())
    expect(row.last_sign_in_at).toBe(Date.now())

    const home = await callRoute(homeLoader, '/staff', { headers: headers(full) })
    expect(home.status).toBe(200)
    expect(home.data.staff).toEqual({ id, email, role: 'admin' })

    // The enrolment code cannot be used again to sign in.
    const again = setToken(await postPassword(email, PASSWORD))
    expect((await postCode(again, code)).status).toBe(400)
  })
})

describe('sign-in with password and code', () => {
  it('rotates the session at each step, and accepts each code once and never an older one', async () => {
    const staff = await makeStaff()
    tick()
    const password = await postPassword(staff.email, staff.password)
    expect(password.status).toBe(303)
    expect(password.headers.get('Location')).toBe('/staff/sign-in/code')
    const pending = setToken(password)!
    expect(await sessionRow(pending)).toMatchObject({ staff_id: staff.id, data: JSON.stringify({ stage: 'totp' }) })
    expect((await callRoute(codeLoader, '/staff/sign-in/code', { headers: headers(pending) })).status).toBe(200)

    const code = await codeFor(staff.secret!)
    const done = await postCode(pending, code)
    expect(done.status).toBe(303)
    expect(done.headers.get('Location')).toBe('/staff')
    const full = setToken(done)!
    expect(full).not.toBe(pending)
    expect(await sessionRow(pending)).toBeUndefined()
    expect(await sessionRow(full)).toMatchObject({ staff_id: staff.id, data: null })
    expect((await callRoute(homeLoader, '/staff', { headers: headers(full) })).status).toBe(200)
    // The pending token is worth nothing now.
    expect((await callRoute(homeLoader, '/staff', { headers: headers(pending) })).status).toBe(302)
    const stale = await postCode(pending, code)
    expect(stale.status).toBe(303)
    expect(stale.headers.get('Location')).toBe('/staff/sign-in?notice=expired')

    // The same code, in the same 30 seconds, from a new password step: refused.
    const second = setToken(await postPassword(staff.email, staff.password))!
    const reused = await postCode(second, code)
    expect(reused.status).toBe(400)
    expect(reused.data.result.error).toEqual({ '': ['staff.code.invalid'] })
    // The previous step's code is still inside the ±1 window, but older than the last one used: refused.
    const older = await postCode(second, await codeFor(staff.secret!, -1))
    expect(older.status).toBe(400)
    // The next step's code works.
    tick()
    const next = await postCode(second, await codeFor(staff.secret!))
    expect(next.status).toBe(303)
    expect((await staffRow(staff.id)).totp_last_step).toBe(currentTotpStep())
  })

  it('accepts a code from one step before or after, not two', async () => {
    const staff = await makeStaff()
    tick(10 * STEP_MS)
    const token = setToken(await postPassword(staff.email, staff.password))!
    expect((await postCode(token, await codeFor(staff.secret!, -2))).status).toBe(400)
    expect((await postCode(token, await codeFor(staff.secret!, 2))).status).toBe(400)
    const ahead = await postCode(token, await codeFor(staff.secret!, 1))
    expect(ahead.status).toBe(303)
    expect((await staffRow(staff.id)).totp_last_step).toBe(currentTotpStep() + 1)
  })

  it('answers a wrong password, an unknown address and a disabled account identically, after the same argon2 work', async () => {
    const known = await makeStaff()
    const disabled = await makeStaff()
    await getDb().updateTable('staff_user').set({ disabled_at: Date.now() }).where('id', '=', disabled.id).execute()
    const verify = vi.spyOn(argon2, 'verify')

    const answers = [
      [known.email, await postPassword(known.email, 'not the right password')],
      ['nobody-here@example.org', await postPassword('nobody-here@example.org', 'not the right password')],
      [disabled.email, await postPassword(disabled.email, disabled.password)],
    ] as const
    expect(verify).toHaveBeenCalledTimes(3)
    const shapes = answers.map(([email, res]) => ({
      status: res.status,
      cookie: res.headers.get('Set-Cookie'),
      body: JSON.stringify(res.data).replaceAll(email, 'EMAIL'),
    }))
    expect(shapes[0]).toEqual(shapes[1])
    expect(shapes[0]).toEqual(shapes[2])
    expect(shapes[0]!.status).toBe(400)
    expect(shapes[0]!.cookie).toBeNull()
    expect(answers[0][1].data.result.error).toEqual({ '': ['staff.signIn.invalid'] })
    // The password never comes back in the answer.
    expect(shapes[0]!.body).not.toContain('not the right password')
  })

  it('refuses a 129-character password without reaching argon2', async () => {
    const staff = await makeStaff()
    const verify = vi.spyOn(argon2, 'verify')
    const long = 'x'.repeat(129)

    const viaRoute = await postPassword(staff.email, long)
    expect(viaRoute.status).toBe(400)
    expect(viaRoute.data.result.error).toEqual({ password: ['Use at most 128 characters.'] })
    const viaModel = await signInWithPassword(getDb(), { email: staff.email, password: long }, newSource())
    expect(viaModel).toEqual({ ok: false, reason: 'invalid' })
    expect(verify).not.toHaveBeenCalled()

    // The spy does see a password of allowed length, so the check above can fail.
    await signInWithPassword(getDb(), { email: staff.email, password: 'x'.repeat(128) }, newSource())
    expect(verify).toHaveBeenCalledTimes(1)
  })

  it('throttles guesses per account, known or unknown alike, from any source', async () => {
    const staff = await makeStaff()
    const unknown = `nobody-${crypto.randomBytes(3).toString('hex')}@example.org`
    for (let i = 0; i < 5; i++) {
      expect((await postPassword(staff.email, `wrong password ${i}`)).status).toBe(400)
      expect((await postPassword(unknown, `wrong password ${i}`)).status).toBe(400)
    }
    const verify = vi.spyOn(argon2, 'verify')
    const locked = await postPassword(staff.email, staff.password)
    const lockedUnknown = await postPassword(unknown, staff.password)
    expect(locked.status).toBe(429)
    expect(locked.data.result.error).toEqual({ '': ['staff.signIn.throttled'] })
    expect(setToken(locked)).toBeNull()
    expect(lockedUnknown.status).toBe(429)
    expect(JSON.stringify(lockedUnknown.data).replaceAll(unknown, 'EMAIL')).toBe(JSON.stringify(locked.data).replaceAll(staff.email, 'EMAIL'))
    expect(verify).not.toHaveBeenCalled()

    // After the window, the right password works again.
    tick(15 * 60 * 1000)
    expect((await postPassword(staff.email, staff.password)).status).toBe(303)
  })

  it('throttles attempts per source, whichever accounts they name', async () => {
    const staff = await makeStaff()
    const source = newSource()
    for (let i = 0; i < 20; i++) {
      expect((await postPassword(`guess-${i}@example.org`, 'not the right password', source)).status).toBe(400)
    }
    expect((await postPassword(staff.email, staff.password, source)).status).toBe(429)
    // Another source is not held back, and that account was never counted.
    expect((await postPassword(staff.email, staff.password, newSource())).status).toBe(303)
  })

  it('throttles codes per account', async () => {
    const staff = await makeStaff()
    tick()
    const token = setToken(await postPassword(staff.email, staff.password))!
    const right = await codeFor(staff.secret!)
    const wrong = right === '000000' ? '111111' : '000000'
    for (let i = 0; i < 5; i++) expect((await postCode(token, wrong)).status).toBe(400)
    const locked = await postCode(token, right)
    expect(locked.status).toBe(429)
    expect(locked.data.result.error).toEqual({ '': ['staff.code.throttled'] })
    expect((await staffRow(staff.id)).last_sign_in_at).toBeNull()
  })
})

describe('staff sessions', () => {
  it('end after 30 minutes without use', async () => {
    const staff = await makeStaff()
    const t0 = Date.now()
    const { token } = await createStaffSession(getDb(), staff.id, null, t0)
    const request = new Request(`${origin()}/staff`, { headers: headers(token) })
    expect(await requireStaff(request, { now: t0 + STAFF_SESSION_IDLE_MS - 60_000 })).toMatchObject({ id: staff.id })
    // Use moved the idle limit on.
    const later = t0 + 2 * STAFF_SESSION_IDLE_MS - 120_000
    expect(await requireStaff(request, { now: later })).toMatchObject({ id: staff.id })
    const idle = await requireStaff(request, { now: later + STAFF_SESSION_IDLE_MS }).catch((e: unknown) => e)
    expect(idle).toBeInstanceOf(Response)
    expect((idle as Response).status).toBe(302)
    expect((idle as Response).headers.get('Location')).toBe('/staff/sign-in')
    expect((idle as Response).headers.get('Set-Cookie')).toMatch(/^tb_staff=; Max-Age=0/)
    expect(await sessionRow(token)).toBeUndefined()
  })

  it('end 12 hours after sign-in however busy', async () => {
    const staff = await makeStaff()
    const t0 = Date.now()
    const { token } = await createStaffSession(getDb(), staff.id, null, t0)
    for (let t = t0; t < t0 + STAFF_SESSION_MAX_MS; t += 20 * 60 * 1000) {
      expect(await findStaffSession(getDb(), token, t)).toMatchObject({ stage: 'full', staff: { id: staff.id } })
    }
    expect(await findStaffSession(getDb(), token, t0 + STAFF_SESSION_MAX_MS - 1)).not.toBeNull()
    expect(await findStaffSession(getDb(), token, t0 + STAFF_SESSION_MAX_MS)).toBeNull()
    expect(await sessionRow(token)).toBeUndefined()
  })

  it('of a disabled account are refused at once, and all of them deleted', async () => {
    const staff = await makeStaff()
    const a = await signIn(staff)
    const b = await signIn(staff)
    expect(await sessionsOf(staff.id)).toHaveLength(2)
    // Disabled behind the app's back: the next lookup still refuses it.
    await getDb().updateTable('staff_user').set({ disabled_at: Date.now() }).where('id', '=', staff.id).execute()
    expect((await callRoute(homeLoader, '/staff', { headers: headers(a) })).status).toBe(302)
    expect(await sessionsOf(staff.id)).toHaveLength(0)
    expect((await callRoute(homeLoader, '/staff', { headers: headers(b) })).status).toBe(302)
  })

  it('end when the person signs out', async () => {
    const staff = await makeStaff()
    const token = await signIn(staff)
    const out = await callRoute(signOutAction, '/staff/sign-out', { method: 'POST', headers: headers(token) })
    expect(out.status).toBe(303)
    expect(out.headers.get('Location')).toBe('/staff/sign-in?notice=signedOut')
    expect(out.headers.get('Set-Cookie')).toMatch(/^tb_staff=; Max-Age=0/)
    expect(await sessionRow(token)).toBeUndefined()
    expect((await callRoute(homeLoader, '/staff', { headers: headers(token) })).status).toBe(302)
    const audit = await getDb().selectFrom('audit_log').select('action').where('actor_id', '=', staff.id).where('action', '=', 'staff.signed_out').execute()
    expect(audit).toHaveLength(1)
  })

  it('send a signed-in person from the sign-in page to /staff', async () => {
    const staff = await makeStaff()
    const token = await signIn(staff)
    const res = await callRoute(signInLoader, '/staff/sign-in', { headers: headers(token) })
    expect(res.status).toBe(302)
    expect(res.headers.get('Location')).toBe('/staff')
    expect((await callRoute(signInLoader, '/staff/sign-in?lng=es')).status).toBe(200)
  })
})

describe('the staff landing page', () => {
  it('shows who is signed in and the real counts of cases by state', async () => {
    const db = getDb()
    const now = Date.now()
    const states = ['open', 'open', 'closed', 'withdrawn'] as const
    const before = await callRoute(homeLoader, '/staff', { headers: headers(await signIn(await makeStaff())) })
    for (const state of states) {
      await db
        .insertInto('survivor_case')
        .values({
          id: newId(),
          case_number: crypto.randomBytes(4).toString('hex').toUpperCase(),
          secret_hash: null,
          secret_updated_at: null,
          contact_ciphertext: null,
          contact_updated_at: null,
          language: 'en',
          requester: 'self_adult',
          signature_ciphertext: null,
          state,
          reviewed_at: null,
          assigned_to: null,
          created_at: now,
          updated_at: now,
          closed_at: null,
          withdrawn_at: null,
          deleted_at: null,
        })
        .execute()
    }
    const staff = await makeStaff()
    const res = await callRoute(homeLoader, '/staff', { headers: headers(await signIn(staff)) })
    expect(res.status).toBe(200)
    expect(res.data.staff).toEqual({ id: staff.id, email: staff.email, role: 'caseworker' })
    const was = before.data.counts
    expect(res.data.counts).toEqual({
      byState: { open: was.byState.open + 2, closed: was.byState.closed + 1, withdrawn: was.byState.withdrawn + 1, deleted: was.byState.deleted },
      openUnreviewed: was.openUnreviewed + 2,
      openUnassigned: was.openUnassigned + 2,
    })
  })
})

describe('roles', () => {
  it('give a caseworker 403 on the staff administration page, and anonymous people the sign-in page', async () => {
    const caseworker = await makeStaff()
    const token = await signIn(caseworker)
    expect((await callRoute(adminLoader, '/staff/admin/staff', { headers: headers(token) })).status).toBe(403)
    const invite = await callRoute(adminAction, '/staff/admin/staff', {
      form: { intent: 'invite', email: 'sneaky@example.org', role: 'admin', language: 'en' },
      headers: headers(token),
    })
    expect(invite.status).toBe(403)
    const disable = await callRoute(adminAction, '/staff/admin/staff', { form: { intent: 'reset-totp', staffId: caseworker.id }, headers: headers(token) })
    expect(disable.status).toBe(403)
    expect(await getDb().selectFrom('staff_invite').select('id').where('email', '=', 'sneaky@example.org').execute()).toEqual([])
    expect((await staffRow(caseworker.id)).totp_secret).not.toBeNull()

    const anonLoader = await callRoute(adminLoader, '/staff/admin/staff')
    expect(anonLoader.status).toBe(302)
    expect(anonLoader.headers.get('Location')).toBe('/staff/sign-in')
    const anonAction = await callRoute(adminAction, '/staff/admin/staff', { form: { intent: 'invite', email: 'sneaky@example.org', role: 'admin', language: 'en' }, headers: headers() })
    expect(anonAction.status).toBe(302)
    expect(anonAction.headers.get('Location')).toBe('/staff/sign-in')

    const admin = await makeStaff({ role: 'admin' })
    const page = await callRoute(adminLoader, '/staff/admin/staff', { headers: headers(await signIn(admin)) })
    expect(page.status).toBe(200)
    expect(page.data.accounts).toContainEqual(expect.objectContaining({ id: caseworker.id, role: 'caseworker', enrolled: true, disabled: false }))
  })
})

describe('administering staff', () => {
  it('invites by email: one outbox row, encrypted recipient; the link shows a form without being spent, works once, and then asks for enrolment', async () => {
    const db = getDb()
    const admin = await makeStaff({ role: 'admin' })
    const adminToken = await signIn(admin)
    const email = `new.person.${crypto.randomBytes(3).toString('hex')}@example.org`
    const outboxBefore = await db.selectFrom('outbox').select('id').where('kind', '=', 'staff.invite').execute()

    const sent = await callRoute(adminAction, '/staff/admin/staff', {
      form: { intent: 'invite', email: `  ${email.toUpperCase()} `, role: 'caseworker', language: 'es' },
      headers: headers(adminToken),
    })
    expect(sent.status).toBe(200)
    expect(sent.data.done).toBe('invited')

    const invite = await db.selectFrom('staff_invite').selectAll().where('email', '=', email).executeTakeFirstOrThrow()
    expect(invite).toMatchObject({ role: 'caseworker', created_by: admin.id, used_at: null, expires_at: Date.now() + 72 * 60 * 60 * 1000 })
    const mails = await db.selectFrom('outbox').selectAll().where('kind', '=', 'staff.invite').execute()
    expect(mails).toHaveLength(outboxBefore.length + 1)
    const mail = mails.find((m) => !outboxBefore.some((b) => b.id === m.id))!
    expect(mail.recipient).not.toContain(email)
    expect(decryptPersonal(mail.recipient)).toBe(email)
    expect(mail.subject).toBe('Tu invitación a Takeback')
    const token = mail.text_body.match(/\/staff\/invite\/accept\?token=([A-Za-z0-9_-]+)/)?.[1]
    expect(token).toBeTruthy()
    expect(mail.text_body).toContain(`${getEnv().PUBLIC_URL}/staff/invite/accept?token=${token}`)
    expect(invite.token_hash).toBe(tokenHash(token!))
    expect(mail.html_body).toContain(`token=${token}`)

    const url = `/staff/invite/accept?token=${token}`
    for (let i = 0; i < 2; i++) {
      const page = await callRoute(acceptLoader, url)
      expect(page.status).toBe(200)
      expect(page.data.invite).toEqual({ token, email, role: 'caseworker' })
    }
    expect((await db.selectFrom('staff_invite').select('used_at').where('id', '=', invite.id).executeTakeFirstOrThrow()).used_at).toBeNull()

    const mismatch = await callRoute(acceptAction, url, { form: { token: token!, password: PASSWORD, confirm: 'something else' }, headers: headers() })
    expect(mismatch.status).toBe(400)
    expect(mismatch.data.result.error).toEqual({ confirm: ['The two passwords are not the same.'] })
    expect(await db.selectFrom('staff_user').select('id').where('email', '=', email).execute()).toEqual([])

    const accepted = await callRoute(acceptAction, url, { form: { token: token!, password: PASSWORD, confirm: PASSWORD }, headers: headers() })
    expect(accepted.status).toBe(303)
    expect(accepted.headers.get('Location')).toBe('/staff/sign-in?notice=welcome')
    const created = await db.selectFrom('staff_user').selectAll().where('email', '=', email).execute()
    expect(created).toHaveLength(1)
    expect(created[0]).toMatchObject({ role: 'caseworker', totp_secret: null, disabled_at: null })

    // Single use.
    const twice = await callRoute(acceptAction, url, { form: { token: token!, password: PASSWORD, confirm: PASSWORD }, headers: headers() })
    expect(twice.status).toBe(410)
    expect(twice.data.gone).toBe(true)
    expect((await callRoute(acceptLoader, url)).status).toBe(410)
    expect(await db.selectFrom('staff_user').select('id').where('email', '=', email).execute()).toHaveLength(1)

    // First sign-in asks for enrolment.
    const first = await postPassword(email, PASSWORD)
    expect(first.status).toBe(303)
    expect(first.headers.get('Location')).toBe('/staff/enrol')

    // The admin page lists the new account as not enrolled.
    const list = await callRoute(adminLoader, '/staff/admin/staff', { headers: headers(adminToken) })
    expect(list.data.accounts).toContainEqual(expect.objectContaining({ email, enrolled: false, disabled: false, lastSignInAt: null }))
  })

  it('refuses an expired or replaced invitation, and an address that already has an account', async () => {
    const db = getDb()
    const admin = await makeStaff({ role: 'admin' })
    const identity = { id: admin.id, email: admin.email, role: 'admin' as const }
    const tokenOf = async (inviteEmail: string) => {
      const mail = await db.selectFrom('outbox').select('text_body').where('kind', '=', 'staff.invite').orderBy('id', 'desc').executeTakeFirstOrThrow()
      expect(mail.text_body).not.toContain(inviteEmail) // the address is the recipient, not the body
      return mail.text_body.match(/token=([A-Za-z0-9_-]+)/)![1]!
    }

    const late = `late-${crypto.randomBytes(3).toString('hex')}@example.org`
    await inviteStaff(db, identity, { email: late, role: 'admin', language: 'en' }, Date.now() - 72 * 60 * 60 * 1000 - 1)
    const lateToken = await tokenOf(late)
    expect((await callRoute(acceptLoader, `/staff/invite/accept?token=${lateToken}`)).status).toBe(410)
    const lateAccept = await callRoute(acceptAction, '/staff/invite/accept', { form: { token: lateToken, password: PASSWORD, confirm: PASSWORD }, headers: headers() })
    expect(lateAccept.status).toBe(410)
    expect(await db.selectFrom('staff_user').select('id').where('email', '=', late).execute()).toEqual([])

    const twice = `twice-${crypto.randomBytes(3).toString('hex')}@example.org`
    await inviteStaff(db, identity, { email: twice, role: 'caseworker', language: 'en' })
    const replaced = await tokenOf(twice)
    await inviteStaff(db, identity, { email: twice, role: 'caseworker', language: 'en' })
    const current = await tokenOf(twice)
    expect((await callRoute(acceptLoader, `/staff/invite/accept?token=${replaced}`)).status).toBe(410)
    expect((await callRoute(acceptLoader, `/staff/invite/accept?token=${current}`)).status).toBe(200)
    expect((await callRoute(acceptLoader, '/staff/invite/accept')).status).toBe(410)

    const existing = await makeStaff()
    const dup = await callRoute(adminAction, '/staff/admin/staff', {
      form: { intent: 'invite', email: existing.email, role: 'caseworker', language: 'en' },
      headers: headers(await signIn(admin)),
    })
    expect(dup.status).toBe(400)
    expect(dup.data.invite.error).toEqual({ email: ['staff.admin.errors.accountExists'] })
  })

  it('disables an account, ending its sessions at once, and enables it again', async () => {
    const admin = await makeStaff({ role: 'admin' })
    const adminToken = await signIn(admin)
    const caseworker = await makeStaff()
    const session = await signIn(caseworker)

    const disabled = await callRoute(adminAction, '/staff/admin/staff', { form: { intent: 'disable', staffId: caseworker.id }, headers: headers(adminToken) })
    expect(disabled.status).toBe(200)
    expect(disabled.data.done).toBe('disabled')
    expect(await sessionsOf(caseworker.id)).toHaveLength(0)
    expect((await callRoute(homeLoader, '/staff', { headers: headers(session) })).status).toBe(302)
    expect((await postPassword(caseworker.email, caseworker.password)).status).toBe(400)

    // Not yourself: there must always be an administrator left.
    const self = await callRoute(adminAction, '/staff/admin/staff', { form: { intent: 'disable', staffId: admin.id }, headers: headers(adminToken) })
    expect(self.status).toBe(400)
    expect(self.data.error).toBe('staff.admin.errors.selfDisable')
    expect((await staffRow(admin.id)).disabled_at).toBeNull()

    const enabled = await callRoute(adminAction, '/staff/admin/staff', { form: { intent: 'enable', staffId: caseworker.id }, headers: headers(adminToken) })
    expect(enabled.data.done).toBe('enabled')
    expect((await staffRow(caseworker.id)).disabled_at).toBeNull()
    expect(await signIn(caseworker)).toBeTruthy()

    const missing = await callRoute(adminAction, '/staff/admin/staff', { form: { intent: 'enable', staffId: newId() }, headers: headers(adminToken) })
    expect(missing.status).toBe(404)
  })

  it('resets a second factor: sessions end, and the next sign-in enrols again', async () => {
    const admin = await makeStaff({ role: 'admin' })
    const caseworker = await makeStaff()
    const session = await signIn(caseworker)
    const reset = await callRoute(adminAction, '/staff/admin/staff', { form: { intent: 'reset-totp', staffId: caseworker.id }, headers: headers(await signIn(admin)) })
    expect(reset.status).toBe(200)
    expect(reset.data.done).toBe('reset')
    expect(await staffRow(caseworker.id)).toMatchObject({ totp_secret: null, totp_last_step: null })
    expect((await callRoute(homeLoader, '/staff', { headers: headers(session) })).status).toBe(302)

    tick()
    const password = await postPassword(caseworker.email, caseworker.password)
    expect(password.headers.get('Location')).toBe('/staff/enrol')
    const pending = setToken(password)!
    // The old app's codes are no good, on either step.
    expect((await postCode(pending, await codeFor(caseworker.secret!))).headers.get('Location')).toBe('/staff/sign-in?notice=expired')
    const page = await callRoute(enrolLoader, '/staff/enrol', { headers: headers(pending) })
    const secret = String(page.data.manualKey).replace(/ /g, '')
    expect(secret).not.toBe(caseworker.secret)
    expect((await callRoute(enrolAction, '/staff/enrol', { form: { code: await codeFor(caseworker.secret!) }, headers: headers(pending) })).status).toBe(400)
    const enrolled = await callRoute(enrolAction, '/staff/enrol', { form: { code: await codeFor(secret) }, headers: headers(pending) })
    expect(enrolled.status).toBe(303)
    expect(decryptPersonal((await staffRow(caseworker.id)).totp_secret!)).toBe(secret)
  })

  it('resets a second factor while its owner is between password and code: the pending step ends', async () => {
    const admin = await makeStaff({ role: 'admin' })
    const caseworker = await makeStaff()
    tick()
    const pending = setToken(await postPassword(caseworker.email, caseworker.password))!
    await callRoute(adminAction, '/staff/admin/staff', { form: { intent: 'reset-totp', staffId: caseworker.id }, headers: headers(await signIn(admin)) })
    const code = await postCode(pending, await codeFor(caseworker.secret!))
    expect(code.status).toBe(303)
    expect(code.headers.get('Location')).toBe('/staff/sign-in?notice=expired')
    expect(await sessionsOf(caseworker.id)).toHaveLength(0)
  })
})

describe('cross-site requests', () => {
  it('refuses a POST whose Origin (or Referer) is not ours with 403, changing nothing', async () => {
    const db = getDb()
    const admin = await makeStaff({ role: 'admin' })
    const adminToken = await signIn(admin)
    const count = async () => ({
      sessions: (await db.selectFrom('session').select('id').execute()).length,
      invites: (await db.selectFrom('staff_invite').select('id').execute()).length,
      outbox: (await db.selectFrom('outbox').select('id').execute()).length,
      limits: (await db.selectFrom('rate_limit').select('key').execute()).length,
      audit: (await db.selectFrom('audit_log').select('seq').execute()).length,
    })
    const before = await count()
    const foreign: Record<string, string>[] = [
      {},
      { Origin: 'https://evil.example' },
      { Origin: 'null' },
      { Origin: 'http://localhost:3000.evil.example' },
      { Referer: 'https://evil.example/staff/sign-in' },
      { Referer: 'not a url' },
    ]
    for (const extra of foreign) {
      const h = (token?: string) => ({ ...(token ? { Cookie: `tb_staff=${token}` } : {}), ...extra })
      const form = { email: admin.email, password: admin.password }
      expect((await callRoute(signInAction, '/staff/sign-in', { form, headers: h(), clientAddress: newSource() })).status).toBe(403)
      expect((await callRoute(adminAction, '/staff/admin/staff', { form: { intent: 'invite', email: 'csrf@example.org', role: 'admin', language: 'en' }, headers: h(adminToken) })).status).toBe(403)
      expect((await callRoute(adminAction, '/staff/admin/staff', { form: { intent: 'reset-totp', staffId: admin.id }, headers: h(adminToken) })).status).toBe(403)
      expect((await callRoute(signOutAction, '/staff/sign-out', { method: 'POST', headers: h(adminToken) })).status).toBe(403)
      expect((await callRoute(codeAction, '/staff/sign-in/code', { form: { code: '123456' }, headers: h(adminToken) })).status).toBe(403)
      expect((await callRoute(enrolAction, '/staff/enrol', { form: { code: '123456' }, headers: h(adminToken) })).status).toBe(403)
      expect((await callRoute(acceptAction, '/staff/invite/accept', { form: { token: 'x'.repeat(43), password: PASSWORD, confirm: PASSWORD }, headers: h() })).status).toBe(403)
    }
    expect(await count()).toEqual(before)
    expect((await callRoute(homeLoader, '/staff', { headers: headers(adminToken) })).status).toBe(200)
    expect((await staffRow(admin.id)).totp_secret).not.toBeNull()

    // Our own origin by Referer alone (no Origin header) is accepted.
    const byReferer = await callRoute(signInAction, '/staff/sign-in', {
      form: { email: admin.email, password: admin.password },
      headers: { Referer: `${origin()}/staff/sign-in` },
      clientAddress: newSource(),
    })
    expect(byReferer.status).toBe(303)
  })

  it('compares whole origins', () => {
    const ok = (h: Record<string, string>) => {
      try {
        requireSameOrigin(new Request('http://localhost:3000/staff', { method: 'POST', headers: h }), 'https://takeback.example.org')
        return true
      } catch (e) {
        expect((e as Response).status).toBe(403)
        return false
      }
    }
    expect(ok({ Origin: 'https://takeback.example.org' })).toBe(true)
    expect(ok({ Referer: 'https://takeback.example.org/staff/sign-in?x=1' })).toBe(true)
    expect(ok({ Origin: 'http://takeback.example.org' })).toBe(false)
    expect(ok({ Origin: 'https://takeback.example.org:8443' })).toBe(false)
    expect(ok({ Origin: 'https://evil.example', Referer: 'https://takeback.example.org/' })).toBe(false)
  })
})

describe('emails and the audit log', () => {
  it('escapes what the invitation email quotes', () => {
    const mail = staffInviteEmail({ link: 'https://t.example/staff/invite/accept?token=a&b="c"', role: 'admin', invitedBy: '<b>Eve</b>', hoursValid: 72, language: 'en' })
    expect(mail.html).toContain('&lt;b&gt;Eve&lt;/b&gt; has invited you')
    expect(mail.html).toContain('token=a&amp;b=&quot;c&quot;')
    expect(mail.html).not.toContain('<b>Eve')
    expect(mail.text).toContain('<b>Eve</b> has invited you to join Takeback as an administrator.')
    expect(mail.text).toContain('for 72 hours')
    expect(staffInviteEmail({ link: 'x', role: 'caseworker', hoursValid: 72, language: 'es' }).text).toContain('Te han invitado a unirte a Takeback como persona gestora de casos.')
  })

  // Last in the file on purpose: it checks what the tests above recorded.
  it('records staff actions in a chain that still verifies, with no addresses in it', async () => {
    const db = getDb()
    const actions = new Set((await db.selectFrom('audit_log').select('action').where('action', 'like', 'staff.%').execute()).map((r) => r.action))
    for (const a of [
      'staff.password_accepted',
      'staff.sign_in_failed',
      'staff.code_rejected',
      'staff.totp_enrolled',
      'staff.signed_in',
      'staff.signed_out',
      'staff.invited',
      'staff.invite_accepted',
      'staff.disabled',
      'staff.enabled',
      'staff.totp_reset',
    ]) {
      expect(actions).toContain(a)
    }
    const details = await db.selectFrom('audit_log').select(['detail', 'object_id', 'actor_id']).execute()
    expect(details.filter((d) => JSON.stringify(d).includes('@'))).toEqual([])
    const chain = await verifyAuditChain(db)
    expect(chain.ok).toBe(true)
  })
})
