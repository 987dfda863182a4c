/**
 * The authorization matrix, on a real, migrated database (SQLite and
 * PostgreSQL): every (subject x operation) cell of test/authz/policy.ts is
 * called through the real loader or action. An allowed cell must succeed; a
 * denied one must give the policy's denial and change no table (a checksum
 * of every table before and after). Provider-facing answers must carry no
 * survivor's contact, signature, case number or case id and no other
 * provider's notice; survivor-facing answers no staff field. And the policy
 * must name every route file, loader, action and action intent in app/routes.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, inject, it } from 'vitest'
import { getDb } from '../../app/lib/db.server'
import { getEnv } from '../../app/lib/env.server'
import { newId } from '../../app/lib/ids.server'
import { signNoticeLinkToken } from '../../app/lib/notice-link.server'
import { enqueueEmail } from '../../app/lib/outbox.server'
import { hashPassword } from '../../app/lib/passwords.server'
import { createStaffSession, type StaffIdentity } from '../../app/lib/staff-session.server'
import { createSurvivorSession } from '../../app/lib/survivor-session.server'
import { randomToken, tokenHash } from '../../app/lib/tokens.server'
import { organisationFromEnv } from '../../app/lib/organisation.server'
import { addUrls, createCase } from '../../app/models/case.server'
import { addNote } from '../../app/models/case-queue.server'
import { markOverdue } from '../../app/models/deadline.server'
import { draftNotices, sendNotice, setExplanation } from '../../app/models/notice.server'
import { createApiKey, createProvider } from '../../app/models/provider.server'
import { setStaffDisabled } from '../../app/models/staff-admin.server'
import { NoticeIntentSchema } from '../../app/models/case-queue.schema'
import { StaffAccountActionSchema } from '../../app/models/staff-auth.schema'
import * as index from '../../app/routes/_index'
import * as feedbackApi from '../../app/routes/api.v1.SubmitFeedback'
import * as fetchHashesApi from '../../app/routes/api.v1.FetchHashes'
import * as exportApi from '../../app/routes/api.v1.hashes.export'
import * as matchApi from '../../app/routes/api.v1.match'
import * as answerApi from '../../app/routes/api.v1.notices.$noticeId.answer'
import * as noticeApi from '../../app/routes/api.v1.notices.$noticeId'
import * as noticesApi from '../../app/routes/api.v1.notices._index'
import * as hashPage from '../../app/routes/hash'
import * as healthz from '../../app/routes/healthz'
import * as referencePage from '../../app/routes/notices.$noticeId'
import * as linkPage from '../../app/routes/notices.respond.$token'
import * as recover from '../../app/routes/recover'
import * as requestPage from '../../app/routes/request'
import * as safety from '../../app/routes/safety'
import * as setup from '../../app/routes/setup'
import * as setupDone from '../../app/routes/setup_.done'
import * as staffHome from '../../app/routes/staff._index'
import * as adminAudit from '../../app/routes/staff.admin.audit'
import * as adminMail from '../../app/routes/staff.admin.mail'
import * as adminProvider from '../../app/routes/staff.admin.providers.$providerId'
import * as adminProviders from '../../app/routes/staff.admin.providers._index'
import * as adminStaff from '../../app/routes/staff.admin.staff'
import * as casePage from '../../app/routes/staff.cases.$caseId'
import * as caseList from '../../app/routes/staff.cases._index'
import * as caseNew from '../../app/routes/staff.cases.new'
import * as dashboard from '../../app/routes/staff.dashboard'
import * as scorecard from '../../app/routes/staff.dashboard_.scorecard[.csv]'
import * as enrol from '../../app/routes/staff.enrol'
import * as invite from '../../app/routes/staff.invite.accept'
import * as ftcPage from '../../app/routes/staff.notices.$noticeId.ftc'
import * as ftcText from '../../app/routes/staff.notices.$noticeId.ftc[.txt]'
import * as review from '../../app/routes/staff.review'
import * as signIn from '../../app/routes/staff.sign-in'
import * as signInCode from '../../app/routes/staff.sign-in_.code'
import * as signOut from '../../app/routes/staff.sign-out'
import * as status from '../../app/routes/status'
import { expectedDenial, okStatuses, OPERATIONS, SUBJECTS, type Operation, type Subject } from '../authz/policy'
import { callRoute, type RouteResult } from '../helpers/remix'

const engine = inject('engine')
const HOUR = 60 * 60 * 1000
const DAY = 24 * HOUR
const ROUTES_DIR = fileURLToPath(new URL('../../app/routes/', import.meta.url))

type RouteFn = Parameters<typeof callRoute>[0]
const hex = (bytes: number) => crypto.randomBytes(bytes).toString('hex')
const uniq = () => crypto.randomBytes(5).toString('hex')
const origin = () => new URL(getEnv().PUBLIC_URL).origin
const image = () => ({ media: 'image' as const, pdq: hex(32), quality: 100, md5: hex(16), sha256: hex(32) })
const idempotencyKey = () => crypto.randomBytes(18).toString('base64url')
/** A case secret of the right shape (Crockford base32, 16 characters) that opens nothing. */
const guessedSecret = () =>
  Array.from(crypto.randomBytes(16), (b) => '0123456789ABCDEFGHJKMNPQRSTVWXYZ'[b % 32]).join('').replace(/(.{4})(?!$)/g, '$1-')
/** Each subject signs in from its own address, so one subject's attempts never throttle another's. */
const addressOf = (s: Subject) => `198.51.100.${SUBJECTS.indexOf(s) + 10}`

// ---------------------------------------------------------------------------
// Fixtures: built once per database

async function newStaffUser(role: 'admin' | 'caseworker', password: string | null) {
  const id = newId()
  const email = `${role}-${uniq()}@takeback.test`
  const now = Date.now()
  await getDb()
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
      created_at: now,
      updated_at: now,
    })
    .execute()
  return { id, email, role, password: password ?? '' }
}

async function newProvider(label: string, regime: 'takeitdown' | 'dsa' | 'generic', hashList: boolean) {
  const domain = `authz-${label}-${uniq()}.com`
  const name = `Provider ${label.toUpperCase()} ${domain}`
  const noticeEmails = [`abuse@${domain}`, `legal@${domain}`]
  const { id } = await createProvider(getDb(), { name, domains: [domain], noticeEmails, regime, hashList }, { actorType: 'system', actorId: null })
  const { key } = await createApiKey(getDb(), id, { actorType: 'system', actorId: null })
  return { id, name, domain, noticeEmails, key }
}
type TestProvider = Awaited<ReturnType<typeof newProvider>>

async function newCase(label: string, provider: TestProvider) {
  const contact = `survivor-${label}-${uniq()}@mailbox.example`
  const signature = `Survivor ${label.toUpperCase()} Fullname-${uniq()}`
  const created = await createCase(getDb(), {
    idempotencyKey: idempotencyKey(),
    requester: 'self_adult',
    language: 'en',
    files: [image(), image()],
    urls: [`https://www.${provider.domain}/p/${uniq()}`],
    shareHashes: true,
    noticesConsent: true,
    contactEmail: contact,
    signature,
  })
  const hashes = await getDb().selectFrom('case_hash').select(['id', 'item', 'kind', 'value']).where('case_id', '=', created.caseId).execute()
  const hash = (item: number, kind: string) => hashes.find((h) => h.item === item && h.kind === kind)!
  const { token } = await createSurvivorSession(getDb(), created.caseId)
  return {
    id: created.caseId,
    number: created.caseNumber,
    secret: created.secret,
    contact,
    signature,
    token,
    /** Switched off and on by staff. */
    switchHash: hash(1, 'pdq'),
    /** Taken back by the survivor. */
    withdrawHash: hash(2, 'sha256'),
    /** Sent to review by the review cells. */
    reviewHash: hash(1, 'md5'),
  }
}
type TestCase = Awaited<ReturnType<typeof newCase>>

async function buildFixtures() {
  const db = getDb()
  const admin = await newStaffUser('admin', 'admin passphrase for the matrix')
  const caseworker = await newStaffUser('caseworker', 'caseworker passphrase for the matrix')
  const disabled = await newStaffUser('caseworker', 'disabled passphrase for the matrix')
  const spare = await newStaffUser('caseworker', null)
  const adminIdentity: StaffIdentity = { id: admin.id, email: admin.email, role: 'admin' }

  const A = await newProvider('a', 'takeitdown', true)
  const B = await newProvider('b', 'dsa', false)
  const C = await newProvider('c', 'generic', false)

  const X = await newCase('x', A)
  const Y = await newCase('y', B)

  /** Answer links, by notice, with the provider subject that received each. */
  const links = new Map<string, { holder: Subject; token: string }>()
  const staffActor = { staffId: caseworker.id }
  const org = organisationFromEnv()

  async function freshLocation(c: TestCase, p: TestProvider): Promise<string> {
    const url = `https://www.${p.domain}/p/${uniq()}`
    await addUrls(db, c.id, { urls: [url], noticesConsent: true })
    const row = await db.selectFrom('case_location').select('id').where('case_id', '=', c.id).where('url', '=', url).executeTakeFirstOrThrow()
    return row.id
  }
  async function freshDraft(c: TestCase = X, p: TestProvider = A, now = Date.now()): Promise<string> {
    const [drafted] = await draftNotices(db, c.id, [await freshLocation(c, p)], staffActor, now)
    return drafted!.noticeId
  }
  async function freshSentNotice(c: TestCase = X, p: TestProvider = A, holder: Subject = 'providerA', sentAt = Date.now()): Promise<string> {
    const noticeId = await freshDraft(c, p, sentAt - HOUR)
    await sendNotice(db, noticeId, staffActor, org, sentAt)
    const email = await db.selectFrom('outbox').select('text_body').where('notice_id', '=', noticeId).where('kind', '=', 'notice').executeTakeFirstOrThrow()
    const token = /\/notices\/respond\/([A-Za-z0-9_-]+)/.exec(email.text_body)?.[1]
    if (!token) throw new Error('the notice email carries no answer link')
    links.set(noticeId, { holder, token })
    return noticeId
  }
  /** A TAKE IT DOWN notice of case X, sent three days ago and marked overdue. */
  async function freshOverdueNotice(): Promise<string> {
    const sentAt = Date.now() - 3 * DAY
    const noticeId = await freshSentNotice(X, A, 'providerA', sentAt)
    const row = await db.selectFrom('notice').select('deadline_at').where('id', '=', noticeId).executeTakeFirstOrThrow()
    if (!(await markOverdue(db, noticeId, Number(row.deadline_at)))) throw new Error('the notice could not be marked overdue')
    return noticeId
  }

  const noticeA = await freshSentNotice(X, A, 'providerA')
  const noticeB = await freshSentNotice(Y, B, 'providerB')
  const overdue = await freshOverdueNotice()
  const draft = await freshDraft(X, A)

  // Staff-only text on case X, which no survivor-facing answer may carry.
  const marker = `STAFF-ONLY-${uniq()}`
  await addNote(db, X.id, { id: caseworker.id }, `${marker} note: called the police liaison.`)
  await setExplanation(db, draft, `${marker} explanation for the provider.`, staffActor)

  // A message the mail worker gave up on, for the dashboard's "send again".
  const dead = await enqueueEmail(db, { kind: 'staff.invite', to: `gone-${uniq()}@takeback.test`, subject: 'Invitation', text: 'Hello' })
  const killLetter = () => db.updateTable('outbox').set({ dead_at: Date.now(), last_error: '550 no such user' }).where('id', '=', dead.id).execute()
  await killLetter()

  // Sessions. The disabled account's was made before an admin disabled it;
  // disabling deletes sessions, and the row is put back as one the disabling
  // missed, so every cell meets requireStaff's own check of the account.
  const staffCookie = (token: string) => ({ Cookie: `tb_staff=${token}` })
  const cw = await createStaffSession(db, caseworker.id, null)
  const ad = await createStaffSession(db, admin.id, null)
  const made = Date.now()
  const ds = await createStaffSession(db, disabled.id, null, made)
  await setStaffDisabled(db, adminIdentity, disabled.id, true)
  const disabledSessionId = tokenHash(ds.token)
  const reviveDisabledSession = async () => {
    const row = await db.selectFrom('session').select('id').where('id', '=', disabledSessionId).executeTakeFirst()
    if (!row) {
      await db
        .insertInto('session')
        .values({ id: disabledSessionId, kind: 'staff', staff_id: disabled.id, case_id: null, data: null, created_at: made, last_seen_at: made, expires_at: made + 12 * HOUR })
        .execute()
    }
  }

  const auth: Record<Subject, Record<string, string>> = {
    anonymous: {},
    survivorX: { Cookie: `tb_case=${X.token}` },
    survivorY: { Cookie: `tb_case=${Y.token}` },
    caseworker: staffCookie(cw.token),
    admin: staffCookie(ad.token),
    disabledStaff: staffCookie(ds.token),
    providerA: { Authorization: `Bearer ${A.key}` },
    providerB: { Authorization: `Bearer ${B.key}` },
  }

  /** A new credential of the same subject, for a cell that uses its credential up (signing out, signing in again). */
  async function freshAuth(subject: Subject): Promise<Record<string, string>> {
    if (subject === 'survivorX' || subject === 'survivorY') {
      const c = subject === 'survivorX' ? X : Y
      return { Cookie: `tb_case=${(await createSurvivorSession(db, c.id)).token}` }
    }
    if (subject === 'caseworker' || subject === 'admin') {
      return staffCookie((await createStaffSession(db, subject === 'admin' ? admin.id : caseworker.id, null)).token)
    }
    return auth[subject]
  }

  return {
    admin,
    caseworker,
    disabled,
    spare,
    A,
    B,
    C,
    X,
    Y,
    links,
    noticeA,
    noticeB,
    overdue,
    draft,
    marker,
    deadLetter: dead.id,
    killLetter,
    disabledSessionId,
    reviveDisabledSession,
    auth,
    freshAuth,
    freshDraft,
    freshSentNotice,
    freshOverdueNotice,
  }
}
type Fixtures = Awaited<ReturnType<typeof buildFixtures>>

// ---------------------------------------------------------------------------
// How each operation is called

interface CellRequest {
  url: string
  params?: Record<string, string>
  method?: 'GET' | 'POST'
  form?: Record<string, string>
  json?: unknown
  clientAddress?: string
}

interface Call {
  fn: RouteFn
  /** Builds the request; may first make the cell's own target (its writes come before the checksum). */
  build: (subject: Subject, fx: Fixtures) => CellRequest | Promise<CellRequest>
  /** The cell uses up its credential, so it gets a new one of the same subject. */
  fresh?: boolean
  /** Runs after every other operation (it ends the fixtures' cases). */
  last?: boolean
  /** `build` writes (the cell's own target), so the checksum is taken again after it. */
  prepares?: boolean
}

const get = (fn: RouteFn, url: string, params?: Record<string, string>): Call => ({ fn, build: () => ({ url, params }) })

/**
 * The link a subject presents for `noticeId` (see the policy's header): its
 * own, else another notice's link with the notice id changed, else one
 * signed with a key it made up.
 */
function presentLink(fx: Fixtures, subject: Subject, noticeId: string): string {
  const own = fx.links.get(noticeId)
  if (own && own.holder === subject) return own.token
  const held = [...fx.links.values()].find((l) => l.holder === subject)
  if (held) {
    const raw = Buffer.from(held.token, 'base64url')
    Buffer.from(noticeId.replace(/-/g, ''), 'hex').copy(raw, 17)
    return raw.toString('base64url')
  }
  return signNoticeLinkToken(crypto.randomBytes(16), noticeId, Date.now() + DAY, [`a key made up by ${subject}, long enough to pass`])
}

const linkCall = (
  kind: 'loader' | 'action',
  target: (fx: Fixtures) => string | Promise<string>,
  form?: Record<string, string> | ((noticeId: string) => Promise<Record<string, string>>),
  prepares = false,
): Call => ({
  fn: kind === 'loader' ? linkPage.loader : linkPage.action,
  prepares,
  build: async (subject, fx) => {
    const noticeId = await target(fx)
    const token = presentLink(fx, subject, noticeId)
    const fields = typeof form === 'function' ? await form(noticeId) : form
    return { url: `/notices/respond/${token}`, params: { token }, method: fields ? 'POST' : 'GET', form: fields, clientAddress: addressOf(subject) }
  },
})

/** The page's removed / not found form: the notice's one web address, ticked. */
const locationsForm = (kind: string) => async (noticeId: string) => {
  const row = await getDb().selectFrom('notice_location').select('location_id').where('notice_id', '=', noticeId).executeTakeFirstOrThrow()
  return { kind, locationIds: row.location_id }
}

const caseCall = (form: (fx: Fixtures) => Record<string, string> | Promise<Record<string, string>>, prepares = false): Call => ({
  fn: casePage.action,
  prepares,
  build: async (_s, fx) => ({ url: `/staff/cases/${fx.X.id}`, params: { caseId: fx.X.id }, form: await form(fx) }),
})

const statusCall = (form: (fx: Fixtures, subject: Subject) => Record<string, string>, extra: Partial<Call> = {}): Call => ({
  fn: status.action,
  build: (subject, fx) => ({ url: '/status', form: form(fx, subject), clientAddress: addressOf(subject) }),
  ...extra,
})

const providerForm = (fx: Fixtures) => ({ name: fx.C.name, domains: fx.C.domain, noticeEmails: fx.C.noticeEmails.join('\n'), regime: 'generic' })

const CALLS: Record<string, Call> = {
  'home page': get(index.loader, '/'),
  'hash files in the browser': get(hashPage.loader, '/hash'),
  'safety page': get(safety.loader, '/safety'),
  'health check': get(healthz.loader as RouteFn, '/healthz'),
  'set-up done page': get(setupDone.loader, '/setup/done'),
  'request form': get(requestPage.loader, '/request'),
  'open a case': {
    fn: requestPage.action,
    build: () => ({
      url: '/request',
      json: { idempotencyKey: idempotencyKey(), requester: 'self_adult', language: 'en', files: [image()], urls: [], shareHashes: true, noticesConsent: false },
    }),
  },
  'recovery form': get(recover.loader, '/recover'),
  'ask for a recovery link (always the same answer)': {
    fn: recover.action,
    build: (subject, fx) => ({ url: '/recover', form: { caseNumber: fx.X.number, email: `guess-${uniq()}@mailbox.example` }, clientAddress: addressOf(subject) }),
  },
  "a notice's reference page (says nothing of the notice)": {
    fn: referencePage.loader,
    build: (_s, fx) => ({ url: `/notices/${fx.noticeA}`, params: { noticeId: fx.noticeA } }),
  },
  "ask for a fresh link to the provider's registered address": {
    fn: referencePage.action,
    build: (subject, fx) => ({ url: `/notices/${fx.noticeA}`, params: { noticeId: fx.noticeA }, form: {}, clientAddress: addressOf(subject) }),
  },
  'staff sign-in page (staff already signed in go to /staff)': get(signIn.loader, '/staff/sign-in'),
  'sign-out by GET only goes home': get(signOut.loader as RouteFn, '/staff/sign-out'),
  'staff sign-out (ends only the caller’s own session)': { fn: signOut.action, build: () => ({ url: '/staff/sign-out', form: {} }), fresh: true },
  'feedback by GET: 405': get(feedbackApi.loader as RouteFn, '/api/v1/SubmitFeedback'),
  'match by GET: 405': get(matchApi.loader as RouteFn, '/api/v1/match'),
  'answer by GET: 405': { fn: answerApi.loader as RouteFn, build: (_s, fx) => ({ url: `/api/v1/notices/${fx.noticeA}/answer`, params: { noticeId: fx.noticeA } }) },
  'status page (own case only, else the sign-in form)': get(status.loader, '/status'),

  'set-up page with an unknown link': get(setup.loader, `/setup?token=${randomToken()}`),
  'create the first admin with an unknown link': {
    fn: setup.action,
    build: () => ({ url: '/setup', form: { token: randomToken(), email: `first-${uniq()}@takeback.test`, password: 'a first admin passphrase', confirm: 'a first admin passphrase' } }),
  },
  'invitation page with an unknown link': get(invite.loader, `/staff/invite/accept?token=${randomToken()}`),
  'accept an invitation with an unknown link': {
    fn: invite.action,
    build: () => ({ url: '/staff/invite/accept', form: { token: randomToken(), password: 'an invitee passphrase', confirm: 'an invitee passphrase' } }),
  },
  'recovery page with an unknown link': get(recover.loader, `/recover?token=${randomToken()}`),
  'redeem an unknown recovery link': { fn: recover.action, build: () => ({ url: '/recover', form: { intent: 'redeem', token: randomToken() } }) },

  "staff sign-in with the account's password": {
    fn: signIn.action,
    fresh: true,
    build: (subject, fx) => {
      const own = subject === 'caseworker' ? fx.caseworker : subject === 'admin' ? fx.admin : subject === 'disabledStaff' ? fx.disabled : null
      const form = own ? { email: own.email, password: own.password } : { email: fx.spare.email, password: `a guess by ${subject}` }
      return { url: '/staff/sign-in', form, clientAddress: addressOf(subject) }
    },
  },
  'survivor sign-in to case X': statusCall((fx, s) => ({ intent: 'sign-in', caseNumber: fx.X.number, secret: s === 'survivorX' ? fx.X.secret : s === 'survivorY' ? fx.Y.secret : guessedSecret() })),
  'survivor sign-in to case Y': statusCall((fx, s) => ({ intent: 'sign-in', caseNumber: fx.Y.number, secret: s === 'survivorY' ? fx.Y.secret : s === 'survivorX' ? fx.X.secret : guessedSecret() })),
  'second-factor code page': get(signInCode.loader, '/staff/sign-in/code'),
  'second-factor code': { fn: signInCode.action, build: () => ({ url: '/staff/sign-in/code', form: { code: '123456' } }) },
  'authenticator enrolment page': get(enrol.loader, '/staff/enrol'),
  'authenticator enrolment code': { fn: enrol.action, build: () => ({ url: '/staff/enrol', form: { code: '123456' } }) },

  'survivor sign-out': statusCall(() => ({ intent: 'sign-out' }), { fresh: true }),
  'add web addresses to own case': statusCall((fx) => ({ intent: 'add-urls', urls: `https://www.${fx.A.domain}/s/${uniq()}`, noticesConsent: 'on' })),
  'change own contact address': statusCall((fx, s) => ({ intent: 'set-contact', email: s === 'survivorY' ? fx.Y.contact : fx.X.contact })),
  'add hashes to own case': {
    fn: status.action,
    build: (subject) => ({ url: '/status', json: { intent: 'add-files', files: [image()], shareHashes: true }, clientAddress: addressOf(subject) }),
  },
  'take back a hash of case X (by id)': statusCall((fx) => ({ intent: 'withdraw', hashIds: fx.X.withdrawHash.id })),
  'take back a hash of case Y (by id)': statusCall((fx) => ({ intent: 'withdraw', hashIds: fx.Y.withdrawHash.id })),
  'delete own case': statusCall(() => ({ intent: 'delete', confirm: 'on' }), { last: true }),

  'staff home': get(staffHome.loader, '/staff'),
  dashboard: get(dashboard.loader, '/staff/dashboard'),
  'send a dead letter again': {
    fn: dashboard.action,
    prepares: true,
    build: async (_s, fx) => {
      await fx.killLetter()
      return { url: '/staff/dashboard', form: { intent: 'send-again', outboxId: fx.deadLetter } }
    },
  },
  'provider scorecard CSV': get(scorecard.loader, '/staff/dashboard/scorecard.csv'),
  'hash review queue': get(review.loader, '/staff/review'),
  'review: disable a hash': reviewCall('disable'),
  'review: keep a hash': reviewCall('keep'),
  'case queue': get(caseList.loader, '/staff/cases'),
  'assisted intake form': get(caseNew.loader, '/staff/cases/new'),
  'open a case for a survivor': {
    fn: caseNew.action,
    build: () => ({
      url: '/staff/cases/new',
      form: {
        idempotencyKey: idempotencyKey(),
        hashes: JSON.stringify((({ media, ...hashes }) => ({ kind: media, ...hashes }))(image())),
        urls: '',
        requester: 'self_adult',
        language: 'en',
        shareHashes: 'on',
      },
    }),
  },
  'case page': { fn: casePage.loader, build: (_s, fx) => ({ url: `/staff/cases/${fx.X.id}`, params: { caseId: fx.X.id } }) },
  'reveal the contact address': caseCall(() => ({ intent: 'reveal' })),
  'add a note': caseCall((fx) => ({ intent: 'note', body: `${fx.marker} note ${uniq()}` })),
  'draft a notice': caseCall(async (fx) => {
    const url = `https://www.${fx.A.domain}/p/${uniq()}`
    await addUrls(getDb(), fx.X.id, { urls: [url], noticesConsent: true })
    const row = await getDb().selectFrom('case_location').select('id').where('case_id', '=', fx.X.id).where('url', '=', url).executeTakeFirstOrThrow()
    return { intent: 'draft', locationId: row.id }
  }, true),
  'switch a hash off': caseCall((fx) => ({ intent: 'hash-off', hashId: fx.X.switchHash.id })),
  'switch a hash on': caseCall((fx) => ({ intent: 'hash-on', hashId: fx.X.switchHash.id })),
  'send an overdue notice to another address': caseCall(async (fx) => ({
    intent: 'send-again',
    noticeId: await fx.freshOverdueNotice(),
    otherTo: `takedown-${uniq()}@${fx.A.domain}`,
  }), true),
  'record an escalation': caseCall((fx) => ({ intent: 'escalate', noticeId: fx.overdue, note: `${fx.marker} reported to the host's upstream.` })),
  "edit a draft notice's explanation": caseCall((fx) => ({ intent: 'explanation', noticeId: fx.draft, explanation: `${fx.marker} explanation, edited.` })),
  'preview a draft notice': caseCall((fx) => ({ intent: 'preview', noticeId: fx.draft })),
  'send a draft notice': caseCall(async (fx) => ({ intent: 'send', noticeId: await fx.freshDraft() }), true),
  "switch off case Y's hash through case X's page": caseCall((fx) => ({ intent: 'hash-off', hashId: fx.Y.switchHash.id })),
  "edit case Y's notice through case X's page": caseCall((fx) => ({ intent: 'explanation', noticeId: fx.noticeB, explanation: 'Changed through the wrong case.' })),
  'FTC complaint packet (page)': { fn: ftcPage.loader, build: (_s, fx) => ({ url: `/staff/notices/${fx.overdue}/ftc`, params: { noticeId: fx.overdue } }) },
  'FTC complaint packet (text file)': { fn: ftcText.loader, build: (_s, fx) => ({ url: `/staff/notices/${fx.overdue}/ftc.txt`, params: { noticeId: fx.overdue } }) },

  'staff accounts': get(adminStaff.loader, '/staff/admin/staff'),
  'invite a staff member': { fn: adminStaff.action, build: () => ({ url: '/staff/admin/staff', form: { intent: 'invite', email: `invitee-${uniq()}@takeback.test`, role: 'caseworker', language: 'en' } }) },
  "reset a staff member's second factor": { fn: adminStaff.action, build: (_s, fx) => ({ url: '/staff/admin/staff', form: { intent: 'reset-totp', staffId: fx.spare.id } }) },
  'disable a staff account': { fn: adminStaff.action, build: (_s, fx) => ({ url: '/staff/admin/staff', form: { intent: 'disable', staffId: fx.spare.id } }) },
  'enable a staff account': { fn: adminStaff.action, build: (_s, fx) => ({ url: '/staff/admin/staff', form: { intent: 'enable', staffId: fx.spare.id } }) },
  'audit log': get(adminAudit.loader, '/staff/admin/audit'),
  'mail folder': get(adminMail.loader, '/staff/admin/mail'),
  'provider directory': get(adminProviders.loader, '/staff/admin/providers'),
  'add a provider': {
    fn: adminProviders.action,
    build: () => {
      const domain = `added-${uniq()}.com`
      return { url: '/staff/admin/providers', form: { name: `Added ${domain}`, domains: domain, noticeEmails: `abuse@${domain}`, regime: 'generic' } }
    },
  },
  'provider page': { fn: adminProvider.loader, build: (_s, fx) => ({ url: `/staff/admin/providers/${fx.C.id}`, params: { providerId: fx.C.id } }) },
  'update a provider': providerCall((fx) => ({ intent: 'update', ...providerForm(fx) })),
  'create an API key': providerCall(() => ({ intent: 'create-key' })),
  'revoke an API key': providerCall(async (fx) => ({ intent: 'revoke-key', keyId: (await createApiKey(getDb(), fx.C.id, { actorType: 'system', actorId: null })).id }), true),
  'disable a provider': providerCall(async (fx) => {
    await getDb().updateTable('provider').set({ disabled_at: null }).where('id', '=', fx.C.id).execute()
    return { intent: 'disable' }
  }, true),
  'enable a provider': providerCall(async (fx) => {
    await getDb().updateTable('provider').set({ disabled_at: Date.now() }).where('id', '=', fx.C.id).execute()
    return { intent: 'enable' }
  }, true),

  'hash feed (StopNCII format)': get(fetchHashesApi.loader, '/api/v1/FetchHashes?pageSize=100'),
  'hash export': get(exportApi.loader, '/api/v1/hashes/export?format=ndjson'),
  'match hashes': { fn: matchApi.action, build: (_s, fx) => ({ url: '/api/v1/match', json: { hashes: [{ type: 'pdq', value: fx.X.switchHash.value }] } }) },
  'feedback on hashes': {
    fn: feedbackApi.action,
    build: (_s, fx) => ({ url: '/api/v1/SubmitFeedback', json: { count: 1, hashFeedbacks: [{ hashValue: fx.Y.reviewHash.value, feedbackValue: 'PendingReview', tags: [] }] } }),
  },
  'own notices list': get(noticesApi.loader, '/api/v1/notices'),
  'notice A by API': { fn: noticeApi.loader, build: (_s, fx) => ({ url: `/api/v1/notices/${fx.noticeA}`, params: { noticeId: fx.noticeA } }) },
  'notice B by API': { fn: noticeApi.loader, build: (_s, fx) => ({ url: `/api/v1/notices/${fx.noticeB}`, params: { noticeId: fx.noticeB } }) },
  'answer notice A by API': {
    fn: answerApi.action,
    build: (_s, fx) => ({ url: `/api/v1/notices/${fx.noticeA}/answer`, params: { noticeId: fx.noticeA }, json: { kind: 'acknowledge' } }),
  },
  'answer notice B by API': {
    fn: answerApi.action,
    build: (_s, fx) => ({ url: `/api/v1/notices/${fx.noticeB}/answer`, params: { noticeId: fx.noticeB }, json: { kind: 'acknowledge' } }),
  },

  'answer page of notice A': linkCall('loader', (fx) => fx.noticeA),
  'answer page of notice B': linkCall('loader', (fx) => fx.noticeB),
  'fresh link for notice A from its page': linkCall('action', (fx) => fx.noticeA, { intent: 'fresh-link' }),
  'acknowledge notice A': linkCall('action', (fx) => fx.noticeA, { kind: 'acknowledge' }),
  'acknowledge notice B': linkCall('action', (fx) => fx.noticeB, { kind: 'acknowledge' }),
  'answer removed': linkCall('action', (fx) => fx.freshSentNotice(), locationsForm('removed'), true),
  'answer not found': linkCall('action', (fx) => fx.freshSentNotice(), locationsForm('not_found'), true),
  'answer declined': linkCall('action', (fx) => fx.freshSentNotice(), { kind: 'declined', reason: 'We consider this lawful.' }, true),
  'answer not ours': linkCall('action', (fx) => fx.freshSentNotice(), { kind: 'not_ours', suggestedContact: 'abuse@elsewhere.example.org' }, true),
}

function reviewCall(intent: 'disable' | 'keep'): Call {
  return {
    fn: review.action,
    prepares: true,
    build: async (_s, fx) => {
      // Each cell gets the hash back in review, so every allowed subject has one to decide.
      await getDb()
        .updateTable('case_hash')
        .set({ review_state: 'pending', status: 'active', disabled_at: null })
        .where('id', '=', fx.Y.reviewHash.id)
        .execute()
      return { url: '/staff/review', form: { intent, hashId: fx.Y.reviewHash.id } }
    },
  }
}

function providerCall(form: (fx: Fixtures) => Record<string, string> | Promise<Record<string, string>>, prepares = false): Call {
  return {
    fn: adminProvider.action,
    prepares,
    build: async (_s, fx) => ({ url: `/staff/admin/providers/${fx.C.id}`, params: { providerId: fx.C.id }, form: await form(fx) }),
  }
}

// ---------------------------------------------------------------------------
// Checksums of every table

/** Bookkeeping of a credential's use, not a change made with it. */
const IGNORED_COLUMNS: Record<string, readonly string[]> = { session: ['last_seen_at'], provider_api_key: ['last_used_at'] }
/** Refused attempts are meant to count: that is what the limits are for. */
const IGNORED_TABLES = new Set(['rate_limit'])

type Snapshot = Map<string, string[]>

async function snapshot(fx: Fixtures): Promise<Snapshot> {
  const db = getDb()
  const tables = (await db.introspection.getTables()).map((t) => t.name).filter((name) => !name.startsWith('kysely_') && !IGNORED_TABLES.has(name))
  const all = await Promise.all(tables.sort().map(async (table) => [table, (await db.selectFrom(table as never).selectAll().execute()) as Record<string, unknown>[]] as const))
  const out: Snapshot = new Map()
  for (const [table, rows] of all) {
    const ignored = IGNORED_COLUMNS[table] ?? []
    out.set(
      table,
      rows
        // The disabled account's surviving session is the credential under test; requireStaff may end it.
        .filter((row) => !(table === 'session' && row.id === fx.disabledSessionId))
        .map((row) => JSON.stringify(Object.entries(row).filter(([k]) => !ignored.includes(k)), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)))
        .sort(),
    )
  }
  return out
}

/** What changed, table by table, as "+n/-m"; audit entries of the allowed actions are not counted. */
function diff(before: Snapshot, after: Snapshot, auditedRefusal: readonly string[] = []): string[] {
  const changes: string[] = []
  let allowedAudits = 0
  for (const [table, rows] of after) {
    const old = new Set(before.get(table) ?? [])
    const now = new Set(rows)
    let added = rows.filter((r) => !old.has(r))
    const removed = [...old].filter((r) => !now.has(r))
    if (table === 'audit_log') {
      const fine = added.filter((r) => auditedRefusal.some((action) => r.includes(`["action","${action}"]`)))
      allowedAudits = fine.length
      added = added.filter((r) => !fine.includes(r))
    }
    if (table === 'audit_head' && allowedAudits > 0 && removed.length === 1 && added.length === 1) continue
    if (added.length || removed.length) changes.push(`${table} +${added.length}/-${removed.length}`)
  }
  // The head moves with any audit entry: allowed only when the entries were.
  return changes.filter((c) => !(c.startsWith('audit_head ') && allowedAudits > 0))
}

// ---------------------------------------------------------------------------
// What must never be in an answer

const STAFF_KEYS = /"(notes?|staffId|staff_id|actorId|actor_id|actorType|actor_type|audit\w*|entryHash|entry_hash|prevHash|prev_hash|explanation)"\s*:/

async function providerForbidden(fx: Fixtures, subject: Subject): Promise<string[]> {
  const survivorData = [fx.X, fx.Y].flatMap((c) => [c.contact, c.signature, c.number, c.number.replace(/-/g, ''), c.id])
  const mine = subject === 'providerA' ? fx.A.id : subject === 'providerB' ? fx.B.id : null
  const notices = await getDb().selectFrom('notice').select(['id', 'provider_id']).execute()
  // A provider may see its own notices; anyone else, none (a denied cell shows nothing).
  return [...survivorData, ...notices.filter((n) => n.provider_id !== mine).map((n) => n.id)]
}

async function staffForbidden(fx: Fixtures): Promise<string[]> {
  const staff = await getDb().selectFrom('staff_user').select(['id', 'email']).execute()
  const audit = await getDb().selectFrom('audit_log').select('entry_hash').execute()
  return [fx.marker, ...staff.flatMap((s) => [s.id, s.email]), ...audit.map((a) => a.entry_hash)]
}

const bodyText = (r: RouteResult) => (typeof r.data === 'string' ? r.data : JSON.stringify(r.data ?? null))

// ---------------------------------------------------------------------------
// The run

interface CellOutcome {
  op: Operation
  subject: Subject
  allowed: boolean
  status: number
  location: string | null
  problems: string[]
  leaks: string[]
  /** The answer's body, kept for allowed cells. */
  text: string
}

function ordered(): Operation[] {
  const last = OPERATIONS.filter((op) => CALLS[op.id]?.last)
  return [...OPERATIONS.filter((op) => !CALLS[op.id]?.last), ...last]
}

async function runMatrix(fx: Fixtures): Promise<CellOutcome[]> {
  const outcomes: CellOutcome[] = []
  let current: Snapshot | null = null
  for (const op of ordered()) {
    const call = CALLS[op.id]
    if (!call) continue // reported by the coverage test
    // Denied cells first: the allowed ones may change what the others see.
    const subjects = [...SUBJECTS.filter((s) => !op.allow.includes(s)), ...SUBJECTS.filter((s) => op.allow.includes(s))]
    for (const subject of subjects) {
      const allowed = op.allow.includes(subject)
      await fx.reviveDisabledSession()
      const credential = call.fresh ? await fx.freshAuth(subject) : fx.auth[subject]
      const req = await call.build(subject, fx)
      const headers: Record<string, string> = { Origin: origin(), ...credential }
      let body: BodyInit | undefined
      if (req.json !== undefined) {
        headers['Content-Type'] = 'application/json'
        body = JSON.stringify(req.json)
      } else if (req.form) {
        body = new URLSearchParams(req.form)
      }
      const method = req.method ?? (body === undefined ? 'GET' : 'POST')
      // The last denied cell's checksum still holds unless something wrote since.
      const before = allowed ? null : ((!call.fresh && !call.prepares ? current : null) ?? (await snapshot(fx)))
      const res = await callRoute(call.fn, req.url, { method, body, headers, clientAddress: req.clientAddress }, req.params ?? {})
      const location = res.headers.get('Location')
      const problems: string[] = []
      if (allowed) {
        if (!okStatuses(op).includes(res.status)) problems.push(`allowed: expected ${okStatuses(op).join(' or ')}, got ${res.status}: ${bodyText(res).slice(0, 200)}`)
      } else {
        const denial = expectedDenial(op, subject)
        if (res.status !== denial.status) problems.push(`denied: expected ${denial.status}, got ${res.status}: ${bodyText(res).slice(0, 200)}`)
        else if (denial.location && !location?.startsWith(denial.location)) problems.push(`denied: expected a redirect to ${denial.location}, got ${location}`)
        const after = await snapshot(fx)
        const changes = diff(before!, after, op.auditedRefusal)
        if (changes.length) problems.push(`denied, yet wrote: ${changes.join(', ')}`)
        current = changes.length ? null : after
      }
      if (allowed) current = null

      // What the answer carries, whatever its status; strings the request itself carried do not count.
      const text = bodyText(res)
      const sent = `${req.url} ${JSON.stringify(req.form ?? req.json ?? {})}`
      const leaks: string[] = []
      const providerFacing = op.family === 'api' || op.family === 'link' || op.route === 'notices.$noticeId.tsx'
      if (providerFacing) {
        for (const s of await providerForbidden(fx, subject)) if (text.includes(s) && !sent.includes(s)) leaks.push(`provider-facing answer carries ${s}`)
      }
      const survivorFacing = (subject === 'survivorX' || subject === 'survivorY') && op.route === 'status.tsx'
      if (survivorFacing) {
        for (const s of await staffForbidden(fx)) if (text.includes(s) && !sent.includes(s)) leaks.push(`survivor-facing answer carries staff data ${s}`)
        const key = STAFF_KEYS.exec(text)
        if (key) leaks.push(`survivor-facing answer has a staff field ${key[1]}`)
      }
      if (op.route === 'status.tsx' && op.export === 'loader') {
        // Whoever asks, the page shows their own case or none.
        const shown = (res.data as { status?: { caseNumber?: string } | null })?.status?.caseNumber ?? null
        const own = subject === 'survivorX' ? fx.X.number : subject === 'survivorY' ? fx.Y.number : null
        if (shown !== own) problems.push(`status page shows case ${shown}, expected ${own}`)
      }
      outcomes.push({ op, subject, allowed, status: res.status, location, problems, leaks, text: allowed ? text : '' })
    }
  }
  return outcomes
}

const describeCell = (o: CellOutcome) => `${o.subject} x ${o.op.id} [${o.op.route} ${o.op.export}${o.op.intent ? ` ${o.op.intent}` : ''}]`

// ---------------------------------------------------------------------------

/** Intents an action reads, as the route's source names them. */
function intentsInSource(source: string): string[] {
  const found = new Set<string>()
  for (const m of source.matchAll(/intent['")]*\s*===\s*'([^']+)'/g)) found.add(m[1]!)
  for (const m of source.matchAll(/\bcase\s+'([^']+)':/g)) found.add(m[1]!)
  for (const m of source.matchAll(/intent:\s*z\.literal\('([^']+)'\)/g)) found.add(m[1]!)
  for (const m of source.matchAll(/intent:\s*z\.enum\(\[([^\]]+)\]\)/g)) for (const v of m[1]!.matchAll(/'([^']+)'/g)) found.add(v[1]!)
  return [...found]
}

/** Intents read through a schema imported from a model (the route only names the schema). */
const IMPORTED_INTENTS: Record<string, readonly string[]> = {
  'staff.cases.$caseId.tsx': NoticeIntentSchema.shape.intent.options,
  'staff.admin.staff.tsx': StaffAccountActionSchema.shape.intent.options,
}

describe(`authorization matrix (${engine})`, () => {
  let outcomes: CellOutcome[] = []
  let fx: Fixtures
  const answer = (id: string, subject: Subject) => outcomes.find((o) => o.op.id === id && o.subject === subject)?.text ?? ''

  beforeAll(async () => {
    fx = await buildFixtures()
    outcomes = await runMatrix(fx)
    const denied = outcomes.filter((o) => !o.allowed).length
    console.log(`authz-matrix: ${outcomes.length} cells (${outcomes.length - denied} allowed, ${denied} denied, ${OPERATIONS.length} operations x ${SUBJECTS.length} subjects) on ${engine}`)
  }, 600_000)

  it('the policy names every route file, loader, action and action intent, and every operation is called', async () => {
    const problems: string[] = []
    const files = fs.readdirSync(ROUTES_DIR).filter((f) => /\.tsx?$/.test(f))
    for (const file of files) {
      const mod = (await import(/* @vite-ignore */ path.join(ROUTES_DIR, file))) as Record<string, unknown>
      const source = fs.readFileSync(path.join(ROUTES_DIR, file), 'utf8')
      const ops = OPERATIONS.filter((op) => op.route === file)
      if (ops.length === 0) problems.push(`${file}: no policy entry`)
      for (const exp of ['loader', 'action'] as const) {
        if (typeof mod[exp] === 'function' && !ops.some((op) => op.export === exp)) problems.push(`${file}: its ${exp} has no policy entry`)
      }
      // The server half of the file: the page component below it switches on other words (states, answers).
      const cut = source.indexOf('export default function')
      const serverSource = cut >= 0 ? source.slice(0, cut) : source
      const intents = new Set([...(mod.action ? intentsInSource(serverSource) : []), ...(IMPORTED_INTENTS[file] ?? [])])
      for (const intent of intents) {
        if (!ops.some((op) => op.export === 'action' && op.intent === intent)) problems.push(`${file}: action intent "${intent}" has no policy entry`)
      }
    }
    for (const op of OPERATIONS) {
      if (!files.includes(op.route)) problems.push(`${op.id}: route file ${op.route} does not exist`)
      if (!CALLS[op.id]) problems.push(`${op.id}: no call in the matrix test`)
    }
    for (const id of Object.keys(CALLS)) if (!OPERATIONS.some((op) => op.id === id)) problems.push(`${id}: called, but not in the policy`)
    const ids = OPERATIONS.map((op) => op.id)
    for (const id of new Set(ids)) if (ids.filter((x) => x === id).length > 1) problems.push(`${id}: named twice`)
    expect(problems).toEqual([])
  })

  it('every cell: allowed ones succeed; denied ones give the policy’s 404, 403, 401 or sign-in redirect and write nothing', () => {
    expect(outcomes.length).toBe(OPERATIONS.length * SUBJECTS.length)
    const failures = outcomes.flatMap((o) => o.problems.map((p) => `${describeCell(o)}: ${p}`))
    expect(failures).toEqual([])
    // The matrix is not trivially all-allowed or all-denied.
    expect(outcomes.filter((o) => !o.allowed).length).toBeGreaterThan(outcomes.length / 2)
  })

  it('no provider-facing answer carries survivor contact data, a case number or another provider’s notice', () => {
    const provider = outcomes.filter((o) => o.op.family === 'api' || o.op.family === 'link')
    expect(provider.filter((o) => o.allowed).length).toBeGreaterThan(10)
    // The checks look at real answers: each provider's list and page show its own notice.
    expect(answer('own notices list', 'providerA')).toContain(fx.noticeA)
    expect(answer('own notices list', 'providerB')).toContain(fx.noticeB)
    expect(answer('answer page of notice A', 'providerA')).toContain(fx.A.domain)
    expect(provider.flatMap((o) => o.leaks.map((l) => `${describeCell(o)}: ${l}`))).toEqual([])
  })

  it('no survivor-facing answer carries a staff field', () => {
    const survivor = outcomes.filter((o) => o.op.route === 'status.tsx' && (o.subject === 'survivorX' || o.subject === 'survivorY'))
    expect(survivor.length).toBeGreaterThan(10)
    // The staff-only text is there to be found: the case page shows it to staff.
    expect(answer('case page', 'caseworker')).toContain(fx.marker)
    expect(answer('status page (own case only, else the sign-in form)', 'survivorX')).toContain(fx.X.number)
    expect(survivor.flatMap((o) => o.leaks.map((l) => `${describeCell(o)}: ${l}`))).toEqual([])
  })
})
