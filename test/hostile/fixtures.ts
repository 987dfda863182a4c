/**
 * The state the hostile-input suite's requests act on, made through the real
 * models (or, where the models need a secret the test cannot know, rows
 * written the way the models write them).
 */
import crypto from 'node:crypto'
import type { Regime, StaffRole } from '../../db/schema'
import { encryptPersonal } from '../../app/lib/crypto.server'
import { getDb } from '../../app/lib/db.server'
import { getEnv } from '../../app/lib/env.server'
import { newTotpSecret } from '../../app/lib/totp.server'
import { newId } from '../../app/lib/ids.server'
import { hashPassword } from '../../app/lib/passwords.server'
import { createStaffSession } from '../../app/lib/staff-session.server'
import { createSurvivorSession } from '../../app/lib/survivor-session.server'
import { randomToken, tokenHash } from '../../app/lib/tokens.server'
import { createCase } from '../../app/models/case.server'
import { draftNotices, sendNotice } from '../../app/models/notice.server'
import { createApiKey } from '../../app/models/provider.server'
import { signInWithPassword } from '../../app/models/staff-auth.server'
import { openSetupLink } from '../../app/models/staff.server'

const db = () => getDb()
export const hex = (bytes: number) => crypto.randomBytes(bytes).toString('hex')
export const image = () => ({ media: 'image' as const, pdq: hex(32), quality: 90, md5: hex(16), sha256: hex(32) })
export const idempotencyKey = () => crypto.randomBytes(18).toString('base64url')
export const origin = () => new URL(getEnv().PUBLIC_URL).origin

const ORG = {
  name: 'Hostile Input Helpline',
  email: 'notices@helpline.example',
  postalAddress: '1 Test Street',
  phone: null,
  website: 'https://helpline.example',
}

/** A case with one picture and `urls`; its number, secret and ids. */
export async function newCase(urls: string[] = [`https://www.site-${hex(3)}.example/p`], contactEmail?: string) {
  const created = await createCase(db(), {
    idempotencyKey: idempotencyKey(),
    requester: 'self_adult',
    language: 'en',
    files: [image()],
    urls,
    shareHashes: true,
    noticesConsent: true,
    contactEmail,
  })
  const hashes = await db().selectFrom('case_hash').select('id').where('case_id', '=', created.caseId).orderBy('id').execute()
  const locations = await db().selectFrom('case_location').select('id').where('case_id', '=', created.caseId).orderBy('id').execute()
  return { ...created, hashIds: hashes.map((h) => h.id), locationIds: locations.map((l) => l.id) }
}

export async function survivorCookie(caseId: string) {
  const { token } = await createSurvivorSession(db(), caseId)
  return `tb_case=${token}`
}

export async function newStaff(role: StaffRole = 'caseworker', password?: string) {
  const id = newId()
  const email = `staff-${hex(4)}@takeback.test`
  await db()
    .insertInto('staff_user')
    .values({
      id,
      email,
      role,
      password_hash: password ? await hashPassword(password) : '$argon2id$v=19$m=19456,p=1,t=3$unused$unused',
      totp_secret: null,
      totp_last_step: null,
      disabled_at: null,
      last_sign_in_at: null,
      created_at: 1,
      updated_at: 1,
    })
    .execute()
  return { id, email, password }
}

/** A signed-in staff member's Cookie header. */
export async function staffCookie(role: StaffRole = 'caseworker') {
  const staff = await newStaff(role)
  const { token } = await createStaffSession(db(), staff.id, null)
  return { ...staff, cookie: `tb_staff=${token}` }
}

/** A staff member half-way through signing in (password done), at the enrolment or code step. */
export async function pendingStaffCookie(stage: 'enrol' | 'totp') {
  const password = `hostile-${hex(8)}`
  const staff = await newStaff('caseworker', password)
  if (stage === 'totp') await db().updateTable('staff_user').set({ totp_secret: encryptPersonal(newTotpSecret()) }).where('id', '=', staff.id).execute()
  const result = await signInWithPassword(db(), { email: staff.email, password }, `fixture-${hex(4)}`)
  if (!result.ok) throw new Error('fixture sign-in failed')
  return { ...staff, cookie: `tb_staff=${result.token}` }
}

export async function newProvider(regime: Regime = 'takeitdown', hashList = true) {
  const id = newId()
  const domain = `host-${hex(4)}.example`
  await db()
    .insertInto('provider')
    .values({
      id,
      name: `${domain} Inc.`,
      notice_emails: JSON.stringify([`abuse@${domain}`]),
      regime,
      hash_list: hashList ? 1 : 0,
      is_placeholder: 0,
      feed_checkpoint: null,
      feed_last_fetch_at: null,
      created_at: 1,
      updated_at: 1,
      disabled_at: null,
    })
    .execute()
  await db().insertInto('provider_domain').values({ domain, provider_id: id }).execute()
  const { key, keyId } = (await createApiKey(db(), id, { actorType: 'system', actorId: null })) as { key: string; keyId?: string }
  const keys = await db().selectFrom('provider_api_key').select('id').where('provider_id', '=', id).execute()
  return { id, domain, key, keyId: keyId ?? keys[0]!.id }
}

/** A case on the provider's site, with a notice drafted and sent; the answer link's token from its email. */
export async function sentNotice(provider?: Awaited<ReturnType<typeof newProvider>>) {
  const p = provider ?? (await newProvider())
  const staff = await newStaff()
  const c = await newCase([`https://www.${p.domain}/a-${hex(3)}`, `https://www.${p.domain}/b-${hex(3)}`])
  const [drafted] = await draftNotices(db(), c.caseId, c.locationIds, { staffId: staff.id })
  const sent = await sendNotice(db(), drafted!.noticeId, { staffId: staff.id }, ORG)
  const [email] = await db().selectFrom('outbox').select('text_body').where('notice_id', '=', sent.noticeId).where('kind', '=', 'notice').execute()
  const token = /\/notices\/respond\/([A-Za-z0-9_-]+)/.exec(email!.text_body)?.[1]
  if (!token) throw new Error('the notice email carries no answer link')
  return { provider: p, caseId: c.caseId, noticeId: sent.noticeId, token, locationIds: c.locationIds, hashIds: c.hashIds }
}

/** A case with a drafted (unsent) notice, for the case page's notice buttons. */
export async function draftedNotice() {
  const p = await newProvider()
  const staff = await newStaff()
  const c = await newCase([`https://www.${p.domain}/a-${hex(3)}`])
  const [drafted] = await draftNotices(db(), c.caseId, c.locationIds, { staffId: staff.id })
  return { caseId: c.caseId, noticeId: drafted!.noticeId, hashIds: c.hashIds, locationIds: c.locationIds }
}

export async function inviteToken(role: StaffRole = 'caseworker') {
  const token = randomToken()
  await db()
    .insertInto('staff_invite')
    .values({ id: newId(), email: `invited-${hex(4)}@takeback.test`, role, token_hash: tokenHash(token), created_by: null, expires_at: Date.now() + 3_600_000, used_at: null, created_at: Date.now() })
    .execute()
  return token
}

export async function recoveryToken(caseId: string) {
  const token = randomToken()
  await db()
    .insertInto('case_recovery')
    .values({ id: newId(), case_id: caseId, token_hash: tokenHash(token), expires_at: Date.now() + 1_800_000, used_at: null, created_at: Date.now() })
    .execute()
  return token
}

/** A mail that could not be delivered, for the dashboard's send-again button. */
export async function deadMail() {
  const id = newId()
  const now = Date.now()
  await db()
    .insertInto('outbox')
    .values({
      id,
      kind: 'staff.invite',
      notice_id: null,
      recipient: encryptPersonal('dead@helpline.example'),
      subject: 'Invitation',
      text_body: 'x',
      html_body: null,
      headers: null,
      message_id: `<${id}@takeback.test>`,
      attempts: 20,
      next_attempt_at: now,
      claimed_at: null,
      claimed_by: null,
      sent_at: null,
      dead_at: now,
      last_error: 'test',
      created_at: now,
      updated_at: now,
    })
    .execute()
  return id
}

/** One stored hash value of a case. */
export async function caseHashValue(caseId: string, kind: 'pdq' | 'md5' | 'sha256') {
  const row = await db().selectFrom('case_hash').select('value').where('case_id', '=', caseId).where('kind', '=', kind).executeTakeFirstOrThrow()
  return row.value
}

/** The first administrator's set-up token, while no staff account exists (afterwards a token that matches nothing). */
export async function setupToken() {
  return (await openSetupLink(db())) ?? randomToken()
}

/** Mark a case as already opened by staff, so the case page's first-open record does not count as something a cell stored. */
export async function opened<T extends { caseId: string }>(c: T): Promise<T> {
  await db().updateTable('survivor_case').set({ reviewed_at: Date.now() }).where('id', '=', c.caseId).execute()
  return c
}
