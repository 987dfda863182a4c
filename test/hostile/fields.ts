/**
 * Every form and API field Takeback reads, route by route: where it goes in
 * the request, what kind of value it is, its length limit (from the zod
 * schemas), and a valid request around it. The hostile-input suite sends
 * each payload of payloads.ts in place of each field here.
 *
 * To find them all: every `export async function action` in app/routes, the
 * api.v1.* routes, the query strings loaders read, and route parameters.
 */
import { MAX_NOTE_LENGTH } from '../../app/models/case-queue.schema'
import { MAX_SIGNATURE_LENGTH, MAX_URL_LENGTH } from '../../app/models/case.schema'
import { MAX_DECLINE_REASON, MAX_SUGGESTED_CONTACT } from '../../app/models/notice-answer.server'
import { MAX_EXPLANATION_LENGTH } from '../../app/models/notice.server'
import { MAX_PROVIDER_NAME } from '../../app/models/provider.schema'
import { PASSWORD_MAX } from '../../app/models/staff.schema'
import * as fx from './fixtures'
import type { Expect, FieldKind } from './payloads'

export type Ctx = Record<string, string> & { cookie?: string; apiKey?: string }

export interface FieldSpec {
  /** Where the value goes: a path into the body (or query), or `:name` for a route parameter. */
  path: (string | number)[]
  kind: FieldKind
  max?: number
  /** What this field does with some payloads, where it differs from its kind (an optional field takes an empty value). */
  expect?: Record<string, Expect>
}

export interface RouteSpec {
  name: string
  method: 'POST' | 'GET'
  encoding: 'form' | 'json' | 'query'
  /** The state a group of cells acts on. */
  setup(): Promise<Ctx>
  /** Set up again before every cell that may be accepted (the request is one-shot: a link, a deletion). */
  freshPerCell?: boolean
  /** What extra fields do: ignored (the default, so a valid request stays accepted), or refused by a strict schema. */
  extras?: Expect
  /** The action reads nothing from the body, so any content type is as good as another. */
  readsNoBody?: boolean
  /** An index route (its data requests need `?index`). */
  index?: boolean
  /** The path, with `:params` filled from the context (or overridden by a field). */
  path: string
  params?: (ctx: Ctx) => Record<string, string>
  /** A valid body (or query) for the context. */
  base(ctx: Ctx): Record<string, unknown>
  fields: FieldSpec[]
  /** Tables a refused request may change: failed sign-ins are audited on purpose. */
  refusalWrites?: string[]
  /** Values the route stores on its own (the first account's admin role), so an extra field setting them proves nothing. */
  ownValues?: string[]
  /** Tables a successful request may change (rate_limit and session touches are never counted). */
  writes: string[]
  /** Whether the valid base request is accepted (false where the route can only refuse, e.g. sending is blocked with example org details). */
  baseAccepted: boolean
  /** A page that shows what an accepted request stored, to check it is escaped there too. */
  view?: (ctx: Ctx) => string
  /** The route takes a list of hashes: also send 10,000 in one request. */
  bulkHashes?: (ctx: Ctx) => Record<string, unknown>
}

const optional = { empty: 'accept', 'whitespace only': 'accept', missing: 'accept' } as const satisfies Record<string, Expect>
const OPTIONAL_EITHER = { empty: 'either', 'whitespace only': 'either', missing: 'either' } as const satisfies Record<string, Expect>
const AUDIT = ['audit_log', 'audit_head']
const CASE_WRITES = ['survivor_case', 'case_hash', 'case_location', 'idempotency_key', 'outbox', ...AUDIT]
const tenThousandImages = () => Array.from({ length: 10_000 }, () => fx.image())
/** One line of `takeback hash` output, the assisted intake's format. */
const hashLine = () => {
  const { media, ...hashes } = fx.image()
  return JSON.stringify({ kind: media, ...hashes })
}
const tenThousandLines = () => Array.from({ length: 10_000 }, hashLine).join('\n')

async function survivor() {
  const c = await fx.newCase()
  return { cookie: await fx.survivorCookie(c.caseId), hashId: c.hashIds[0]!, caseNumber: c.caseNumber, secret: c.secret }
}

const file = (path: number, key: string) => ['files', path, key]
const fileFields = (max = 2048): FieldSpec[] => [
  { path: file(0, 'media'), kind: 'token' },
  { path: file(0, 'pdq'), kind: 'pdq' },
  { path: file(0, 'md5'), kind: 'md5' },
  { path: file(0, 'sha256'), kind: 'sha256' },
  { path: file(0, 'quality'), kind: 'number', expect: { '-0': 'either' } },
  { path: ['urls'], kind: 'url', max: Math.min(max, MAX_URL_LENGTH), expect: { ...optional, duplicated: 'either' } },
]

export const ROUTES: RouteSpec[] = [
  // ---------------------------------------------------------------- survivor
  {
    name: 'POST /request',
    method: 'POST',
    encoding: 'json',
    path: '/request',
    setup: async () => ({}),
    base: () => ({
      idempotencyKey: fx.idempotencyKey(),
      requester: 'self_adult',
      language: 'en',
      files: [fx.image()],
      urls: `https://www.reported-${fx.hex(3)}.example/page`,
      shareHashes: true,
      noticesConsent: true,
      contactEmail: 'survivor@mail.example',
      signature: 'A. Person',
    }),
    fields: [
      { path: ['idempotencyKey'], kind: 'token', max: 128 },
      { path: ['requester'], kind: 'token' },
      { path: ['language'], kind: 'token', expect: { missing: 'accept' } },
      ...fileFields(),
      { path: ['shareHashes'], kind: 'bool' },
      { path: ['noticesConsent'], kind: 'bool' },
      { path: ['contactEmail'], kind: 'email', max: 254, expect: optional },
      { path: ['signature'], kind: 'line', max: MAX_SIGNATURE_LENGTH, expect: optional },
    ],
    writes: CASE_WRITES,
    baseAccepted: true,
    bulkHashes: () => ({ idempotencyKey: fx.idempotencyKey(), requester: 'self_adult', files: tenThousandImages(), shareHashes: true }),
  },
  {
    name: 'POST /status sign-in',
    method: 'POST',
    encoding: 'form',
    path: '/status',
    setup: async () => {
      const c = await fx.newCase()
      return { caseNumber: c.caseNumber, secret: c.secret }
    },
    base: (ctx) => ({ intent: 'sign-in', caseNumber: ctx.caseNumber, secret: ctx.secret }),
    fields: [
      { path: ['intent'], kind: 'token' },
      { path: ['caseNumber'], kind: 'code' },
      { path: ['secret'], kind: 'code' },
    ],
    writes: ['session', ...AUDIT],
    baseAccepted: true,
  },
  {
    name: 'POST /status add-urls',
    method: 'POST',
    encoding: 'form',
    path: '/status',
    setup: survivor,
    base: () => ({ intent: 'add-urls', urls: `https://www.more-${fx.hex(3)}.example/x`, noticesConsent: 'on' }),
    fields: [
      { path: ['urls'], kind: 'url', max: MAX_URL_LENGTH },
      { path: ['noticesConsent'], kind: 'bool', expect: OPTIONAL_EITHER },
    ],
    writes: ['survivor_case', 'case_location', ...AUDIT],
    baseAccepted: true,
    view: () => '/status',
  },
  {
    name: 'POST /status add-files',
    method: 'POST',
    encoding: 'json',
    path: '/status',
    setup: survivor,
    base: () => ({ intent: 'add-files', files: [fx.image()], shareHashes: true }),
    fields: [...fileFields().filter((f) => f.path[0] === 'files'), { path: ['shareHashes'], kind: 'bool', expect: OPTIONAL_EITHER }],
    writes: ['survivor_case', 'case_hash', ...AUDIT],
    baseAccepted: true,
    bulkHashes: () => ({ intent: 'add-files', files: tenThousandImages(), shareHashes: true }),
  },
  {
    name: 'POST /status set-contact',
    method: 'POST',
    encoding: 'form',
    path: '/status',
    setup: survivor,
    base: () => ({ intent: 'set-contact', email: `new-${fx.hex(3)}@mail.example` }),
    fields: [{ path: ['email'], kind: 'email', max: 254, expect: optional }],
    writes: ['survivor_case', 'outbox', ...AUDIT],
    baseAccepted: true,
  },
  {
    name: 'POST /status withdraw',
    method: 'POST',
    encoding: 'form',
    path: '/status',
    setup: survivor,
    freshPerCell: true,
    base: (ctx) => ({ intent: 'withdraw', hashIds: ctx.hashId }),
    fields: [{ path: ['hashIds'], kind: 'token', max: 64 }],
    writes: ['survivor_case', 'case_hash', ...AUDIT],
    baseAccepted: true,
  },
  {
    name: 'POST /status delete',
    method: 'POST',
    encoding: 'form',
    path: '/status',
    setup: survivor,
    freshPerCell: true,
    base: () => ({ intent: 'delete', confirm: 'on' }),
    fields: [{ path: ['confirm'], kind: 'bool' }],
    writes: ['survivor_case', 'case_hash', 'case_location', 'case_note', 'case_recovery', 'session', 'notice', 'notice_location', 'notice_event', 'outbox', ...AUDIT],
    baseAccepted: true,
  },
  {
    name: 'POST /recover (ask for a link)',
    method: 'POST',
    encoding: 'form',
    path: '/recover',
    setup: async () => {
      const c = await fx.newCase(undefined, 'lost@mail.example')
      return { caseNumber: c.caseNumber }
    },
    base: (ctx) => ({ caseNumber: ctx.caseNumber, email: 'lost@mail.example' }),
    fields: [
      { path: ['caseNumber'], kind: 'code' },
      { path: ['email'], kind: 'email', max: 254 },
    ],
    writes: ['case_recovery', 'outbox', ...AUDIT],
    baseAccepted: true,
  },
  {
    name: 'POST /recover (redeem the link)',
    method: 'POST',
    encoding: 'form',
    path: '/recover',
    freshPerCell: true,
    setup: async () => {
      const c = await fx.newCase(undefined, 'lost@mail.example')
      return { token: await fx.recoveryToken(c.caseId) }
    },
    base: (ctx) => ({ intent: 'redeem', token: ctx.token }),
    fields: [{ path: ['token'], kind: 'token', max: 128 }],
    writes: ['survivor_case', 'case_recovery', 'session', ...AUDIT],
    baseAccepted: true,
  },

  // ------------------------------------------------------------------- staff
  {
    name: 'POST /staff/sign-in',
    method: 'POST',
    encoding: 'form',
    path: '/staff/sign-in',
    // Failed tries lock the account for a while: a cell that may sign in gets an account of its own.
    freshPerCell: true,
    setup: async () => {
      const password = `correct-horse-${fx.hex(4)}`
      const staff = await fx.newStaff('caseworker', password)
      return { email: staff.email, password }
    },
    base: (ctx) => ({ email: ctx.email, password: ctx.password }),
    fields: [
      { path: ['email'], kind: 'email', max: 254, expect: { 'max-1 length': 'refuse', 'max length': 'refuse' } },
      { path: ['password'], kind: 'password', max: PASSWORD_MAX, expect: { 'max-1 length': 'refuse', 'max length': 'refuse' } },
    ],
    writes: ['session', 'staff_user', ...AUDIT],
    refusalWrites: AUDIT,
    baseAccepted: true,
  },
  {
    name: 'POST /staff/sign-in/code',
    method: 'POST',
    encoding: 'form',
    path: '/staff/sign-in/code',
    setup: async () => ({ cookie: (await fx.pendingStaffCookie('totp')).cookie }),
    // A well-formed wrong code: the right one works once per 30 seconds, so every cell here is refused.
    base: () => ({ code: '000000' }),
    fields: [{ path: ['code'], kind: 'code' }],
    writes: [],
    refusalWrites: AUDIT,
    baseAccepted: false,
  },
  {
    name: 'POST /staff/enrol',
    method: 'POST',
    encoding: 'form',
    path: '/staff/enrol',
    setup: async () => ({ cookie: (await fx.pendingStaffCookie('enrol')).cookie }),
    base: () => ({ code: '000000' }),
    fields: [{ path: ['code'], kind: 'code' }],
    writes: [],
    refusalWrites: AUDIT,
    baseAccepted: false,
  },
  {
    name: 'POST /staff/invite/accept',
    method: 'POST',
    encoding: 'form',
    path: '/staff/invite/accept',
    freshPerCell: true,
    setup: async () => ({ token: await fx.inviteToken() }),
    base: (ctx) => ({ token: ctx.token, password: 'a long enough password', confirm: 'a long enough password' }),
    fields: [
      { path: ['token'], kind: 'token', max: 128 },
      // The two passwords must agree, so a hostile password is refused by the confirmation even where its own rules would pass.
      { path: ['password'], kind: 'password', max: PASSWORD_MAX, expect: { 'max-1 length': 'refuse', 'max length': 'refuse', duplicated: 'either' } },
      { path: ['confirm'], kind: 'password', max: PASSWORD_MAX, expect: { 'max-1 length': 'refuse', 'max length': 'refuse' } },
    ],
    writes: ['staff_user', 'staff_invite', 'session', ...AUDIT],
    baseAccepted: true,
  },
  {
    name: 'POST /staff/admin/staff (invite)',
    method: 'POST',
    encoding: 'form',
    path: '/staff/admin/staff',
    setup: async () => ({ cookie: (await fx.staffCookie('admin')).cookie }),
    base: () => ({ intent: 'invite', email: `new-${fx.hex(4)}@takeback.test`, role: 'caseworker', language: 'en' }),
    fields: [
      { path: ['email'], kind: 'email', max: 254 },
      { path: ['role'], kind: 'token' },
      { path: ['language'], kind: 'token' },
    ],
    writes: ['staff_invite', 'outbox', ...AUDIT],
    baseAccepted: true,
  },
  {
    name: 'POST /staff/admin/staff (account buttons)',
    method: 'POST',
    encoding: 'form',
    path: '/staff/admin/staff',
    setup: async () => ({ cookie: (await fx.staffCookie('admin')).cookie, staffId: (await fx.newStaff()).id }),
    base: (ctx) => ({ intent: 'disable', staffId: ctx.staffId }),
    fields: [
      { path: ['intent'], kind: 'token' },
      { path: ['staffId'], kind: 'token', max: 64 },
    ],
    writes: ['staff_user', 'session', ...AUDIT],
    baseAccepted: true,
  },
  {
    name: 'POST /staff/admin/providers (add)',
    method: 'POST',
    encoding: 'form',
    path: '/staff/admin/providers',
    index: true,
    setup: async () => ({ cookie: (await fx.staffCookie('admin')).cookie }),
    base: () => ({ name: 'Example Host', domains: `host-${fx.hex(5)}.com`, noticeEmails: 'abuse@host.example', regime: 'dsa', hashList: 'on' }),
    fields: [
      { path: ['name'], kind: 'line', max: MAX_PROVIDER_NAME },
      { path: ['domains'], kind: 'domain', max: 253, expect: { 'max-1 length': 'refuse', 'max length': 'refuse' } },
      { path: ['noticeEmails'], kind: 'email', max: 254 },
      { path: ['regime'], kind: 'token', expect: { missing: 'accept', empty: 'either', 'whitespace only': 'either' } },
      { path: ['hashList'], kind: 'bool', expect: OPTIONAL_EITHER },
    ],
    writes: ['provider', 'provider_domain', ...AUDIT],
    baseAccepted: true,
    view: () => '/staff/admin/providers',
  },
  {
    name: 'POST /staff/admin/providers/:providerId (update)',
    method: 'POST',
    encoding: 'form',
    path: '/staff/admin/providers/:providerId',
    setup: async () => ({ cookie: (await fx.staffCookie('admin')).cookie, providerId: (await fx.newProvider()).id }),
    params: (ctx) => ({ providerId: ctx.providerId! }),
    base: () => ({ intent: 'update', name: 'Renamed Host', domains: `host-${fx.hex(5)}.com`, noticeEmails: 'abuse@host.example', regime: 'dmca' }),
    fields: [
      { path: [':providerId'], kind: 'token', max: 64 },
      { path: ['name'], kind: 'line', max: MAX_PROVIDER_NAME },
      { path: ['domains'], kind: 'domain', max: 253, expect: { 'max-1 length': 'refuse', 'max length': 'refuse' } },
      { path: ['noticeEmails'], kind: 'email', max: 254 },
    ],
    writes: ['provider', 'provider_domain', ...AUDIT],
    baseAccepted: true,
    view: (ctx) => `/staff/admin/providers/${ctx.providerId}`,
  },
  {
    name: 'POST /staff/admin/providers/:providerId (revoke key)',
    method: 'POST',
    encoding: 'form',
    path: '/staff/admin/providers/:providerId',
    setup: async () => {
      const p = await fx.newProvider()
      return { cookie: (await fx.staffCookie('admin')).cookie, providerId: p.id, keyId: p.keyId }
    },
    params: (ctx) => ({ providerId: ctx.providerId! }),
    base: (ctx) => ({ intent: 'revoke-key', keyId: ctx.keyId }),
    fields: [{ path: ['keyId'], kind: 'token', max: 64 }],
    writes: ['provider_api_key', ...AUDIT],
    baseAccepted: true,
  },
  {
    name: 'GET /staff/cases (queue search)',
    method: 'GET',
    encoding: 'query',
    path: '/staff/cases',
    index: true,
    setup: async () => ({ cookie: (await fx.staffCookie()).cookie }),
    base: () => ({ filter: 'all', q: 'ABCD', after: '' }),
    fields: [
      { path: ['q'], kind: 'query', max: 64 },
      { path: ['filter'], kind: 'query' },
      { path: ['after'], kind: 'query', max: 64 },
    ],
    writes: [],
    baseAccepted: true,
  },
  {
    name: 'POST /staff/cases/:caseId (note)',
    method: 'POST',
    encoding: 'form',
    path: '/staff/cases/:caseId',
    setup: async () => ({ cookie: (await fx.staffCookie()).cookie, caseId: (await fx.opened(await fx.newCase())).caseId }),
    params: (ctx) => ({ caseId: ctx.caseId! }),
    base: () => ({ intent: 'note', body: 'Called the survivor back.' }),
    fields: [
      { path: [':caseId'], kind: 'token', max: 64 },
      { path: ['body'], kind: 'text', max: MAX_NOTE_LENGTH },
    ],
    writes: ['case_note', 'survivor_case', ...AUDIT],
    baseAccepted: true,
    view: (ctx) => `/staff/cases/${ctx.caseId}`,
  },
  {
    name: 'POST /staff/cases/:caseId (reveal contact)',
    method: 'POST',
    encoding: 'form',
    path: '/staff/cases/:caseId',
    setup: async () => ({ cookie: (await fx.staffCookie()).cookie, caseId: (await fx.opened(await fx.newCase(undefined, 'reveal@mail.example'))).caseId }),
    params: (ctx) => ({ caseId: ctx.caseId! }),
    base: () => ({ intent: 'reveal' }),
    fields: [
      { path: [':caseId'], kind: 'token', max: 64 },
      { path: ['intent'], kind: 'token' },
    ],
    writes: ['survivor_case', ...AUDIT],
    baseAccepted: true,
  },
  {
    name: 'POST /staff/cases/:caseId (draft notices)',
    method: 'POST',
    encoding: 'form',
    path: '/staff/cases/:caseId',
    freshPerCell: true,
    setup: async () => {
      const p = await fx.newProvider()
      const c = await fx.opened(await fx.newCase([`https://www.${p.domain}/x-${fx.hex(3)}`]))
      return { cookie: (await fx.staffCookie()).cookie, caseId: c.caseId, locationId: c.locationIds[0]! }
    },
    params: (ctx) => ({ caseId: ctx.caseId! }),
    base: (ctx) => ({ intent: 'draft', locationId: ctx.locationId }),
    fields: [{ path: ['locationId'], kind: 'token', max: 64 }],
    writes: ['notice', 'notice_location', 'notice_event', 'case_location', 'survivor_case', ...AUDIT],
    baseAccepted: true,
  },
  {
    name: 'POST /staff/cases/:caseId (explanation)',
    method: 'POST',
    encoding: 'form',
    path: '/staff/cases/:caseId',
    setup: async () => {
      const n = await fx.opened(await fx.draftedNotice())
      return { cookie: (await fx.staffCookie()).cookie, caseId: n.caseId, noticeId: n.noticeId }
    },
    params: (ctx) => ({ caseId: ctx.caseId! }),
    base: (ctx) => ({ intent: 'explanation', noticeId: ctx.noticeId, explanation: 'The pictures were shared without consent.' }),
    fields: [
      { path: ['noticeId'], kind: 'token', max: 64 },
      { path: ['explanation'], kind: 'text', max: MAX_EXPLANATION_LENGTH, expect: optional },
    ],
    writes: ['notice', 'notice_event', ...AUDIT],
    baseAccepted: true,
    view: (ctx) => `/staff/cases/${ctx.caseId}`,
  },
  {
    name: 'POST /staff/cases/:caseId (preview and send)',
    method: 'POST',
    encoding: 'form',
    path: '/staff/cases/:caseId',
    setup: async () => {
      const n = await fx.opened(await fx.draftedNotice())
      return { cookie: (await fx.staffCookie()).cookie, caseId: n.caseId, noticeId: n.noticeId }
    },
    params: (ctx) => ({ caseId: ctx.caseId! }),
    base: (ctx) => ({ intent: 'preview', noticeId: ctx.noticeId }),
    fields: [
      { path: ['intent'], kind: 'token', expect: { duplicated: 'either' } },
      { path: ['noticeId'], kind: 'token', max: 64 },
    ],
    writes: [],
    baseAccepted: true,
  },
  {
    name: 'POST /staff/cases/:caseId (send again, escalate)',
    method: 'POST',
    encoding: 'form',
    path: '/staff/cases/:caseId',
    setup: async () => {
      const n = await fx.opened(await fx.sentNotice())
      return { cookie: (await fx.staffCookie()).cookie, caseId: n.caseId, noticeId: n.noticeId }
    },
    params: (ctx) => ({ caseId: ctx.caseId! }),
    // Escalating needs an overdue notice, and sending again is blocked with example organisation details: both refuse here.
    base: (ctx) => ({ intent: 'escalate', noticeId: ctx.noticeId, note: 'Called their trust and safety line.', to: 'abuse@host.example', otherTo: '' }),
    fields: [
      { path: ['intent'], kind: 'token' },
      { path: ['noticeId'], kind: 'token', max: 64 },
      { path: ['note'], kind: 'text', max: 100_000, expect: { 'max-1 length': 'either', 'max length': 'either' } },
      { path: ['to'], kind: 'email', max: 1000 },
      { path: ['otherTo'], kind: 'email', max: 1000 },
    ],
    writes: ['notice', 'notice_event', 'outbox', ...AUDIT],
    baseAccepted: false,
  },
  {
    name: 'POST /staff/cases/:caseId (hash off and on)',
    method: 'POST',
    encoding: 'form',
    path: '/staff/cases/:caseId',
    setup: async () => {
      const c = await fx.opened(await fx.newCase())
      return { cookie: (await fx.staffCookie()).cookie, caseId: c.caseId, hashId: c.hashIds[0]! }
    },
    params: (ctx) => ({ caseId: ctx.caseId! }),
    base: (ctx) => ({ intent: 'hash-off', hashId: ctx.hashId }),
    fields: [
      { path: ['intent'], kind: 'token' },
      { path: ['hashId'], kind: 'token', max: 64 },
    ],
    writes: ['case_hash', 'survivor_case', 'notice_event', ...AUDIT],
    baseAccepted: true,
  },
  {
    name: 'POST /staff/cases/new (assisted intake)',
    method: 'POST',
    encoding: 'form',
    path: '/staff/cases/new',
    setup: async () => ({ cookie: (await fx.staffCookie()).cookie }),
    base: () => ({
      idempotencyKey: fx.idempotencyKey(),
      hashes: hashLine(),
      urls: `https://www.intake-${fx.hex(3)}.example/p`,
      requester: 'helper',
      language: 'es',
      shareHashes: 'on',
      noticesConsent: 'on',
    }),
    fields: [
      { path: ['idempotencyKey'], kind: 'token', max: 128 },
      { path: ['hashes'], kind: 'sha256', expect: { ...optional, duplicated: 'either' } },
      { path: ['urls'], kind: 'url', max: MAX_URL_LENGTH, expect: { ...optional, duplicated: 'either' } },
      { path: ['requester'], kind: 'token' },
      // An empty choice is no choice: the form's default language.
      { path: ['language'], kind: 'token', expect: { missing: 'accept', empty: 'either', 'whitespace only': 'either' } },
      { path: ['shareHashes'], kind: 'bool' },
      { path: ['noticesConsent'], kind: 'bool' },
    ],
    writes: CASE_WRITES,
    baseAccepted: true,
    bulkHashes: () => ({ idempotencyKey: fx.idempotencyKey(), hashes: tenThousandLines(), requester: 'helper', language: 'en', shareHashes: 'on' }),
  },
  {
    name: 'POST /staff/review',
    method: 'POST',
    encoding: 'form',
    path: '/staff/review',
    setup: async () => ({ cookie: (await fx.staffCookie()).cookie, hashId: (await fx.newCase()).hashIds[0]! }),
    // The hash is not waiting for review, so the valid request is refused as "no longer pending".
    base: (ctx) => ({ intent: 'keep', hashId: ctx.hashId }),
    fields: [
      { path: ['intent'], kind: 'token' },
      { path: ['hashId'], kind: 'token', max: 64 },
    ],
    writes: ['case_hash', ...AUDIT],
    baseAccepted: false,
  },
  {
    name: 'POST /staff/dashboard (send mail again)',
    method: 'POST',
    encoding: 'form',
    path: '/staff/dashboard',
    freshPerCell: true,
    setup: async () => ({ cookie: (await fx.staffCookie()).cookie, outboxId: await fx.deadMail() }),
    base: (ctx) => ({ intent: 'send-again', outboxId: ctx.outboxId }),
    fields: [
      { path: ['intent'], kind: 'token' },
      { path: ['outboxId'], kind: 'token', max: 100 },
    ],
    writes: ['outbox', ...AUDIT],
    baseAccepted: true,
  },

  // ---------------------------------------------------------------- provider
  {
    name: 'POST /notices/respond/:token (declined)',
    method: 'POST',
    encoding: 'form',
    path: '/notices/respond/:token',
    freshPerCell: true,
    setup: async () => ({ token: (await fx.sentNotice()).token }),
    params: (ctx) => ({ token: ctx.token! }),
    base: () => ({ kind: 'declined', reason: 'The account holder says this is them.' }),
    fields: [
      { path: [':token'], kind: 'token', max: 200 },
      { path: ['kind'], kind: 'token' },
      { path: ['reason'], kind: 'text', max: MAX_DECLINE_REASON, expect: { 'CR LF': 'accept', NUL: 'refuse' } },
    ],
    writes: ['notice', 'notice_event', 'notice_link', 'notice_location', 'case_location', 'survivor_case', 'outbox', ...AUDIT],
    baseAccepted: true,
    view: () => '/staff/cases',
  },
  {
    name: 'POST /notices/respond/:token (removed, not ours)',
    method: 'POST',
    encoding: 'form',
    path: '/notices/respond/:token',
    freshPerCell: true,
    setup: async () => {
      const n = await fx.sentNotice()
      return { token: n.token, locationId: n.locationIds[0]! }
    },
    params: (ctx) => ({ token: ctx.token! }),
    base: (ctx) => ({ kind: 'removed', locationIds: ctx.locationId }),
    fields: [{ path: ['locationIds'], kind: 'token', max: 64 }],
    writes: ['notice', 'notice_event', 'notice_link', 'notice_location', 'case_location', 'survivor_case', 'outbox', ...AUDIT],
    baseAccepted: true,
  },
  {
    name: 'POST /notices/respond/:token (not ours, suggested contact)',
    method: 'POST',
    encoding: 'form',
    path: '/notices/respond/:token',
    freshPerCell: true,
    setup: async () => ({ token: (await fx.sentNotice()).token }),
    params: (ctx) => ({ token: ctx.token! }),
    base: () => ({ kind: 'not_ours', suggestedContact: 'abuse@other-host.example' }),
    fields: [{ path: ['suggestedContact'], kind: 'email', max: MAX_SUGGESTED_CONTACT, expect: { ...optional, 'max-1 length': 'either', 'max length': 'either' } }],
    writes: ['notice', 'notice_event', 'notice_link', 'notice_location', 'case_location', 'survivor_case', 'outbox', ...AUDIT],
    baseAccepted: true,
  },
  {
    name: 'POST /notices/respond/:token (fresh link)',
    method: 'POST',
    encoding: 'form',
    path: '/notices/respond/:token',
    setup: async () => ({ token: (await fx.sentNotice()).token }),
    params: (ctx) => ({ token: ctx.token! }),
    base: () => ({ intent: 'fresh-link' }),
    fields: [{ path: [':token'], kind: 'token', max: 200 }],
    writes: ['notice_link', 'outbox', 'notice_event', ...AUDIT],
    baseAccepted: true,
  },
  {
    name: 'POST /notices/:noticeId (fresh link by reference)',
    method: 'POST',
    encoding: 'form',
    path: '/notices/:noticeId',
    setup: async () => ({ noticeId: (await fx.sentNotice()).noticeId }),
    params: (ctx) => ({ noticeId: ctx.noticeId! }),
    base: () => ({}),
    fields: [{ path: [':noticeId'], kind: 'token', max: 36, expect: { 'upper-case hex': 'either' } }],
    readsNoBody: true,
    writes: ['notice_link', 'outbox', 'notice_event', ...AUDIT],
    baseAccepted: true,
  },
  {
    name: 'POST /api/v1/SubmitFeedback',
    method: 'POST',
    encoding: 'json',
    path: '/api/v1/SubmitFeedback',
    setup: async () => {
      const n = await fx.sentNotice()
      const pdq = await fx.caseHashValue(n.caseId, 'pdq')
      return { apiKey: n.provider.key, pdq }
    },
    base: (ctx) => ({ count: 1, hashFeedbacks: [{ hashValue: ctx.pdq, feedbackValue: 'PendingReview', tags: ['review'] }] }),
    fields: [
      { path: ['count'], kind: 'number', expect: { missing: 'accept' } },
      { path: ['hashFeedbacks', 0, 'hashValue'], kind: 'pdq', expect: { 'upper-case hex': 'accept', BOM: 'either', 'whitespace only': 'refuse', 'all-zero PDQ': 'either', 'all-ones PDQ': 'either' } },
      { path: ['hashFeedbacks', 0, 'feedbackValue'], kind: 'token' },
      { path: ['hashFeedbacks', 0, 'tags', 0], kind: 'line', max: 100 },
    ],
    writes: ['hash_feedback', 'case_hash', 'survivor_case', ...AUDIT],
    baseAccepted: true,
    bulkHashes: (ctx) => ({ hashFeedbacks: Array.from({ length: 10_000 }, () => ({ hashValue: ctx.pdq, feedbackValue: 'Blocked' })) }),
  },
  {
    name: 'POST /api/v1/match',
    method: 'POST',
    encoding: 'json',
    path: '/api/v1/match',
    setup: async () => ({ apiKey: (await fx.newProvider('dsa', true)).key }),
    base: () => ({ hashes: [{ type: 'sha256', value: fx.hex(32) }], maxDistance: 31 }),
    fields: [
      { path: ['hashes', 0, 'type'], kind: 'token' },
      { path: ['hashes', 0, 'value'], kind: 'sha256', expect: { 'empty-file SHA-256': 'either', 'upper-case hex': 'accept' } },
      { path: ['maxDistance'], kind: 'number', expect: { missing: 'accept', '-0': 'either' } },
    ],
    writes: [],
    baseAccepted: true,
    bulkHashes: () => ({ hashes: Array.from({ length: 10_000 }, () => ({ type: 'sha256', value: fx.hex(32) })) }),
  },
  {
    name: 'POST /api/v1/notices/:noticeId/answer',
    method: 'POST',
    encoding: 'json',
    path: '/api/v1/notices/:noticeId/answer',
    freshPerCell: true,
    setup: async () => {
      const n = await fx.sentNotice()
      return { apiKey: n.provider.key, noticeId: n.noticeId, locationId: n.locationIds[0]! }
    },
    params: (ctx) => ({ noticeId: ctx.noticeId! }),
    base: () => ({ kind: 'declined', reason: 'Satire, kept under our rules.' }),
    fields: [
      { path: [':noticeId'], kind: 'token', max: 36, expect: { 'upper-case hex': 'either' } },
      { path: ['kind'], kind: 'token' },
      { path: ['reason'], kind: 'text', max: MAX_DECLINE_REASON, expect: { NUL: 'refuse' } },
    ],
    // The answer schema is strict on purpose: a misspelt field must not silently mean something else.
    extras: 'refuse',
    writes: ['notice', 'notice_event', 'notice_link', 'notice_location', 'case_location', 'survivor_case', 'outbox', 'idempotency_key', ...AUDIT],
    baseAccepted: true,
  },
  {
    name: 'GET /api/v1/FetchHashes',
    method: 'GET',
    encoding: 'query',
    path: '/api/v1/FetchHashes',
    setup: async () => ({ apiKey: (await fx.newProvider('dsa', true)).key }),
    base: () => ({ startTimestamp: '0', pageSize: '10' }),
    fields: [
      { path: ['startTimestamp'], kind: 'number', expect: { ...OPTIONAL_EITHER, '-0': 'either' } },
      { path: ['pageSize'], kind: 'number', expect: { ...OPTIONAL_EITHER } },
      { path: ['nextPageToken'], kind: 'token', max: 2000, expect: { ...OPTIONAL_EITHER } },
    ],
    writes: ['provider', 'provider_api_key'],
    baseAccepted: true,
  },
  {
    name: 'GET /api/v1/notices',
    method: 'GET',
    encoding: 'query',
    path: '/api/v1/notices',
    setup: async () => ({ apiKey: (await fx.sentNotice()).provider.key }),
    base: () => ({ state: 'sent', since: '0', limit: '10' }),
    fields: [
      { path: ['state'], kind: 'token', expect: { ...OPTIONAL_EITHER } },
      { path: ['since'], kind: 'number', expect: { ...OPTIONAL_EITHER } },
      { path: ['limit'], kind: 'number', expect: { ...OPTIONAL_EITHER } },
      { path: ['cursor'], kind: 'token', max: 500, expect: { ...OPTIONAL_EITHER } },
    ],
    writes: ['provider_api_key'],
    baseAccepted: true,
  },
  {
    name: 'GET /api/v1/notices/:noticeId',
    method: 'GET',
    encoding: 'query',
    path: '/api/v1/notices/:noticeId',
    setup: async () => {
      const n = await fx.sentNotice()
      return { apiKey: n.provider.key, noticeId: n.noticeId }
    },
    params: (ctx) => ({ noticeId: ctx.noticeId! }),
    base: () => ({}),
    fields: [{ path: [':noticeId'], kind: 'token', max: 36, expect: { 'upper-case hex': 'either' } }],
    writes: ['provider_api_key'],
    baseAccepted: true,
  },
  {
    name: 'GET /api/v1/hashes/export',
    method: 'GET',
    encoding: 'query',
    path: '/api/v1/hashes/export',
    setup: async () => ({ apiKey: (await fx.newProvider('dsa', true)).key }),
    base: () => ({ since: '0', format: 'ndjson' }),
    fields: [
      { path: ['since'], kind: 'number', expect: { ...OPTIONAL_EITHER, '-0': 'either' } },
      { path: ['format'], kind: 'token', expect: { ...OPTIONAL_EITHER } },
    ],
    // A completed export moves the provider's feed checkpoint forward.
    writes: ['provider', 'provider_api_key'],
    baseAccepted: true,
  },
]

/** The first administrator's set-up form: only usable while no staff account exists, so the suite runs it first. */
export const SETUP_ROUTE: RouteSpec = {
  name: 'POST /setup',
  method: 'POST',
  encoding: 'form',
  path: '/setup',
  setup: async () => ({ token: await fx.setupToken() }),
  base: (ctx) => ({ token: ctx.token, email: 'first-admin@takeback.test', password: 'a long enough password', confirm: 'a long enough password' }),
  fields: [
    { path: ['token'], kind: 'token', max: 128 },
    { path: ['email'], kind: 'email', max: 254 },
    { path: ['password'], kind: 'password', max: PASSWORD_MAX, expect: { 'max-1 length': 'refuse', 'max length': 'refuse', duplicated: 'either' } },
    { path: ['confirm'], kind: 'password', max: PASSWORD_MAX, expect: { 'max-1 length': 'refuse', 'max length': 'refuse' } },
  ],
  writes: ['staff_user', 'staff_invite', ...AUDIT],
  // One administrator, once: every accepted cell after the first finds the link spent.
  baseAccepted: false,
  // The first account is an administrator by design, whatever the request carries.
  ownValues: ['"role":"admin"'],
}
