/**
 * The authorization policy: who may do what, for every route file in
 * app/routes, each of its loaders and each intent of its actions.
 * test/integration/authz-matrix.test.ts calls every (subject x operation)
 * cell against a real database and holds the application to this file; it
 * also fails when a route file, a loader, an action or an action intent has
 * no entry here.
 *
 * Subjects
 *   anonymous      no cookie, no key
 *   survivorX/Y    a survivor signed in to case X / case Y (tb_case cookie)
 *   caseworker     a staff member with a full session (both factors)
 *   admin          the same, with the admin role
 *   disabledStaff  a caseworker whose session was made before an admin
 *                  disabled the account
 *   providerA/B    a provider's API key (Authorization: Bearer) and the
 *                  answer links of its own notices. Provider A takes part in
 *                  the hash list; provider B does not.
 * Every request carries this site's Origin, so a refusal is never the
 * cross-site check's doing: it is the authorization under test.
 *
 * A cell is allowed when the subject is in `allow`: it must answer the
 * operation's success status (`ok`, 200 unless said) and may write. Every
 * other cell is denied: it must answer the denial below and write nothing
 * (a checksum of every table, before and after, must match). Not counted as
 * writes: `rate_limit` (refused attempts are meant to count against a
 * limit), `session.last_seen_at` and `provider_api_key.last_used_at` (a
 * credential was used, nothing was changed with it).
 *
 * The denial answer, by family and kind
 *   staff       no full staff session (anonymous, survivors, providers, a
 *               disabled account): 302 to /staff/sign-in, as requireStaff
 *               answers. Staff without the right: 404 for an object (a case,
 *               a notice, a provider), 403 for a function (an admin page).
 *   api         no valid key: 401 (requireProvider; the same for a missing,
 *               unknown or revoked key). A key without the right: 404 for
 *               another provider's notice, exactly like one that does not
 *               exist; 403 for a function the provider has no part in (the
 *               hash list, for a provider that does not take it).
 *   survivor    /status actions with no survivor session: 401 ("your session
 *               has ended"). A survivor naming another case's object: 404.
 *   link        /notices/respond/<token>: the link is the only credential. A
 *               subject presents the link it holds for the target notice; one
 *               holding only another notice's link presents that link with
 *               the notice id changed; one holding none presents a link of
 *               the right shape signed with a key it made up. Anything but
 *               the real link is a plain 404.
 *   capability  a one-time link none of the subjects holds (set-up, staff
 *               invitation, secret recovery): the subject presents a token
 *               of the right shape and gets the route's answer for an
 *               unusable link, 410 (`denied`).
 *   pending     the second-factor steps of staff sign-in need a pending
 *               session, which none of the subjects holds: the page
 *               redirects to /staff/sign-in (302), the form to
 *               /staff/sign-in?notice=expired (303).
 *   credential  sign-in forms: each subject presents its own secret for the
 *               account (staff: email and password; survivors: case number
 *               and secret); one without it presents the account's name with
 *               a wrong secret. Refused: 400, the same answer as a wrong
 *               password, so a refusal says nothing about the account. A
 *               refused staff sign-in is audited on purpose (the only write
 *               allowed in a denied cell: `auditedRefusal`).
 *   public      everyone; there is no denial.
 */

export const SUBJECTS = ['anonymous', 'survivorX', 'survivorY', 'caseworker', 'admin', 'disabledStaff', 'providerA', 'providerB'] as const
export type Subject = (typeof SUBJECTS)[number]

export type Family = 'public' | 'staff' | 'api' | 'survivor' | 'link' | 'capability' | 'pending' | 'credential'
/** An object (a case, a notice, a provider) is denied with 404; a function (a page, an admin task) with 403. */
export type Kind = 'object' | 'function'

export interface Denial {
  status: number
  /** For a redirect: where it must go (the start of the Location header). */
  location?: string
}

export interface Operation {
  /** Unique; names the cell in test output. */
  id: string
  /** The file in app/routes. */
  route: string
  export: 'loader' | 'action'
  /** The action's intent (the form's `intent`, or the answer's `kind`); absent for a loader or a one-purpose action. */
  intent?: string
  family: Family
  kind: Kind
  allow: readonly Subject[]
  /** Success status(es) of an allowed cell; 200 unless said. */
  ok?: number | readonly number[]
  /** The denial, where the family's rule does not decide it. */
  denied?: Denial
  /** Audit actions a denied cell may append (a refused sign-in is recorded). */
  auditedRefusal?: readonly string[]
  /** What the operation acts on, for a reader of the matrix. */
  target?: string
}

const ALL: readonly Subject[] = SUBJECTS
const STAFF: readonly Subject[] = ['caseworker', 'admin']
const ADMIN: readonly Subject[] = ['admin']
const SURVIVORS: readonly Subject[] = ['survivorX', 'survivorY']
const PROVIDERS: readonly Subject[] = ['providerA', 'providerB']

const pub = (route: string, exp: 'loader' | 'action', id: string, extra: Partial<Operation> = {}): Operation => ({
  id,
  route,
  export: exp,
  family: 'public',
  kind: 'function',
  allow: ALL,
  ...extra,
})

const staffOp = (route: string, exp: 'loader' | 'action', id: string, extra: Partial<Operation> = {}): Operation => ({
  id,
  route,
  export: exp,
  family: 'staff',
  kind: 'function',
  allow: STAFF,
  ...extra,
})

const adminOp = (route: string, exp: 'loader' | 'action', id: string, extra: Partial<Operation> = {}): Operation =>
  staffOp(route, exp, id, { allow: ADMIN, ...extra })

const CASE = 'staff.cases.$caseId.tsx'
const caseAction = (intent: string, id: string, extra: Partial<Operation> = {}): Operation =>
  staffOp(CASE, 'action', id, { intent, kind: 'object', target: 'case X', ...extra })

const LINK = 'notices.respond.$token.tsx'
const linkOp = (exp: 'loader' | 'action', id: string, allow: readonly Subject[], extra: Partial<Operation> = {}): Operation => ({
  id,
  route: LINK,
  export: exp,
  family: 'link',
  kind: 'object',
  allow,
  ...extra,
})

const STATUS = 'status.tsx'
const survivorAction = (intent: string, id: string, extra: Partial<Operation> = {}): Operation => ({
  id,
  route: STATUS,
  export: 'action',
  intent,
  family: 'survivor',
  kind: 'function',
  allow: SURVIVORS,
  ...extra,
})

const api = (route: string, exp: 'loader' | 'action', id: string, allow: readonly Subject[], extra: Partial<Operation> = {}): Operation => ({
  id,
  route,
  export: exp,
  family: 'api',
  kind: 'function',
  allow,
  ...extra,
})

const capability = (route: string, exp: 'loader' | 'action', id: string, extra: Partial<Operation> = {}): Operation => ({
  id,
  route,
  export: exp,
  family: 'capability',
  kind: 'object',
  allow: [],
  denied: { status: 410 },
  ...extra,
})

export const OPERATIONS: readonly Operation[] = [
  // ------------------------------------------------------------------ public pages
  pub('_index.tsx', 'loader', 'home page'),
  pub('hash.tsx', 'loader', 'hash files in the browser'),
  pub('safety.tsx', 'loader', 'safety page'),
  pub('healthz.ts', 'loader', 'health check'),
  pub('setup_.done.tsx', 'loader', 'set-up done page'),
  pub('request.tsx', 'loader', 'request form'),
  pub('request.tsx', 'action', 'open a case'),
  pub('recover.tsx', 'loader', 'recovery form'),
  pub('recover.tsx', 'action', 'ask for a recovery link (always the same answer)'),
  pub('notices.$noticeId.tsx', 'loader', "a notice's reference page (says nothing of the notice)", { target: 'notice A' }),
  pub('notices.$noticeId.tsx', 'action', "ask for a fresh link to the provider's registered address", { target: 'notice A' }),
  pub('staff.sign-in.tsx', 'loader', 'staff sign-in page (staff already signed in go to /staff)', { ok: [200, 302] }),
  pub('staff.sign-out.tsx', 'loader', 'sign-out by GET only goes home', { ok: 302 }),
  pub('staff.sign-out.tsx', 'action', 'staff sign-out (ends only the caller’s own session)', { ok: 303 }),
  pub('api.v1.SubmitFeedback.ts', 'loader', 'feedback by GET: 405', { ok: 405 }),
  pub('api.v1.match.ts', 'loader', 'match by GET: 405', { ok: 405 }),
  pub('api.v1.notices.$noticeId.answer.ts', 'loader', 'answer by GET: 405', { ok: 405 }),
  // The page itself is public: who is signed in decides whose case it shows (the test checks it is only ever their own).
  pub(STATUS, 'loader', 'status page (own case only, else the sign-in form)'),

  // ------------------------------------------------------------------ one-time links nobody here holds
  capability('setup.tsx', 'loader', 'set-up page with an unknown link'),
  capability('setup.tsx', 'action', 'create the first admin with an unknown link'),
  capability('staff.invite.accept.tsx', 'loader', 'invitation page with an unknown link'),
  capability('staff.invite.accept.tsx', 'action', 'accept an invitation with an unknown link'),
  capability('recover.tsx', 'loader', 'recovery page with an unknown link'),
  capability('recover.tsx', 'action', 'redeem an unknown recovery link', { intent: 'redeem' }),

  // ------------------------------------------------------------------ sign-in forms
  {
    id: "staff sign-in with the account's password",
    route: 'staff.sign-in.tsx',
    export: 'action',
    family: 'credential',
    kind: 'function',
    allow: STAFF,
    ok: 303,
    denied: { status: 400 },
    auditedRefusal: ['staff.sign_in_failed'],
  },
  {
    id: 'survivor sign-in to case X',
    route: STATUS,
    export: 'action',
    intent: 'sign-in',
    family: 'credential',
    kind: 'object',
    allow: ['survivorX'],
    ok: 303,
    denied: { status: 400 },
    target: 'case X',
  },
  {
    id: 'survivor sign-in to case Y',
    route: STATUS,
    export: 'action',
    intent: 'sign-in',
    family: 'credential',
    kind: 'object',
    allow: ['survivorY'],
    ok: 303,
    denied: { status: 400 },
    target: 'case Y',
  },
  {
    id: 'second-factor code page',
    route: 'staff.sign-in_.code.tsx',
    export: 'loader',
    family: 'pending',
    kind: 'function',
    allow: [],
    denied: { status: 302, location: '/staff/sign-in' },
  },
  {
    id: 'second-factor code',
    route: 'staff.sign-in_.code.tsx',
    export: 'action',
    family: 'pending',
    kind: 'function',
    allow: [],
    denied: { status: 303, location: '/staff/sign-in?notice=expired' },
  },
  {
    id: 'authenticator enrolment page',
    route: 'staff.enrol.tsx',
    export: 'loader',
    family: 'pending',
    kind: 'function',
    allow: [],
    denied: { status: 302, location: '/staff/sign-in' },
  },
  {
    id: 'authenticator enrolment code',
    route: 'staff.enrol.tsx',
    export: 'action',
    family: 'pending',
    kind: 'function',
    allow: [],
    denied: { status: 303, location: '/staff/sign-in?notice=expired' },
  },

  // ------------------------------------------------------------------ survivors' own case (/status)
  survivorAction('sign-out', 'survivor sign-out', { ok: 303 }),
  survivorAction('add-urls', 'add web addresses to own case'),
  survivorAction('set-contact', 'change own contact address'),
  survivorAction('add-files', 'add hashes to own case'),
  survivorAction('withdraw', "take back a hash of case X (by id)", { kind: 'object', allow: ['survivorX'], target: 'a hash of case X' }),
  survivorAction('withdraw', "take back a hash of case Y (by id)", { kind: 'object', allow: ['survivorY'], target: 'a hash of case Y' }),
  survivorAction('delete', 'delete own case', { ok: 303 }),

  // ------------------------------------------------------------------ staff workspace
  staffOp('staff._index.tsx', 'loader', 'staff home'),
  staffOp('staff.dashboard.tsx', 'loader', 'dashboard'),
  staffOp('staff.dashboard.tsx', 'action', 'send a dead letter again', { intent: 'send-again' }),
  staffOp('staff.dashboard_.scorecard[.csv].tsx', 'loader', 'provider scorecard CSV'),
  staffOp('staff.review.tsx', 'loader', 'hash review queue'),
  staffOp('staff.review.tsx', 'action', 'review: disable a hash', { intent: 'disable' }),
  staffOp('staff.review.tsx', 'action', 'review: keep a hash', { intent: 'keep' }),
  staffOp('staff.cases._index.tsx', 'loader', 'case queue'),
  staffOp('staff.cases.new.tsx', 'loader', 'assisted intake form'),
  staffOp('staff.cases.new.tsx', 'action', 'open a case for a survivor'),
  staffOp(CASE, 'loader', 'case page', { kind: 'object', target: 'case X' }),
  caseAction('reveal', 'reveal the contact address'),
  caseAction('note', 'add a note'),
  caseAction('draft', 'draft a notice'),
  caseAction('hash-off', 'switch a hash off'),
  caseAction('hash-on', 'switch a hash on'),
  caseAction('send-again', 'send an overdue notice to another address'),
  caseAction('escalate', 'record an escalation'),
  caseAction('explanation', "edit a draft notice's explanation"),
  caseAction('preview', 'preview a draft notice'),
  caseAction('send', 'send a draft notice'),
  // Ids in forms can be edited: another case's hash or notice through case X's page is not found, for everyone.
  caseAction('hash-off', "switch off case Y's hash through case X's page", { allow: [], target: "case X's page, case Y's hash" }),
  caseAction('explanation', "edit case Y's notice through case X's page", { allow: [], target: "case X's page, case Y's notice" }),
  staffOp('staff.notices.$noticeId.ftc.tsx', 'loader', 'FTC complaint packet (page)', { kind: 'object', target: 'an overdue notice' }),
  staffOp('staff.notices.$noticeId.ftc[.txt].tsx', 'loader', 'FTC complaint packet (text file)', { kind: 'object', target: 'an overdue notice' }),

  // ------------------------------------------------------------------ administration
  adminOp('staff.admin.staff.tsx', 'loader', 'staff accounts'),
  adminOp('staff.admin.staff.tsx', 'action', 'invite a staff member', { intent: 'invite' }),
  adminOp('staff.admin.staff.tsx', 'action', "reset a staff member's second factor", { intent: 'reset-totp' }),
  adminOp('staff.admin.staff.tsx', 'action', 'disable a staff account', { intent: 'disable' }),
  adminOp('staff.admin.staff.tsx', 'action', 'enable a staff account', { intent: 'enable' }),
  adminOp('staff.admin.audit.tsx', 'loader', 'audit log'),
  adminOp('staff.admin.mail.tsx', 'loader', 'mail folder'),
  adminOp('staff.admin.providers._index.tsx', 'loader', 'provider directory'),
  adminOp('staff.admin.providers._index.tsx', 'action', 'add a provider', { ok: 302 }),
  // The directory is an admin function: a caseworker gets 403 (the provider's existence is no secret from staff).
  adminOp('staff.admin.providers.$providerId.tsx', 'loader', 'provider page', { target: 'provider C' }),
  adminOp('staff.admin.providers.$providerId.tsx', 'action', 'update a provider', { intent: 'update', target: 'provider C' }),
  adminOp('staff.admin.providers.$providerId.tsx', 'action', 'create an API key', { intent: 'create-key', target: 'provider C' }),
  adminOp('staff.admin.providers.$providerId.tsx', 'action', 'revoke an API key', { intent: 'revoke-key', target: 'provider C' }),
  adminOp('staff.admin.providers.$providerId.tsx', 'action', 'disable a provider', { intent: 'disable', target: 'provider C' }),
  adminOp('staff.admin.providers.$providerId.tsx', 'action', 'enable a provider', { intent: 'enable', target: 'provider C' }),

  // ------------------------------------------------------------------ provider API (key)
  api('api.v1.FetchHashes.ts', 'loader', 'hash feed (StopNCII format)', ['providerA']),
  api('api.v1.hashes.export.ts', 'loader', 'hash export', ['providerA']),
  api('api.v1.match.ts', 'action', 'match hashes', ['providerA']),
  api('api.v1.SubmitFeedback.ts', 'action', 'feedback on hashes', ['providerA']),
  api('api.v1.notices._index.ts', 'loader', 'own notices list', PROVIDERS),
  api('api.v1.notices.$noticeId.ts', 'loader', 'notice A by API', ['providerA'], { kind: 'object', target: 'notice A' }),
  api('api.v1.notices.$noticeId.ts', 'loader', 'notice B by API', ['providerB'], { kind: 'object', target: 'notice B' }),
  api('api.v1.notices.$noticeId.answer.ts', 'action', 'answer notice A by API', ['providerA'], { kind: 'object', target: 'notice A' }),
  api('api.v1.notices.$noticeId.answer.ts', 'action', 'answer notice B by API', ['providerB'], { kind: 'object', target: 'notice B' }),

  // ------------------------------------------------------------------ provider answer links
  linkOp('loader', 'answer page of notice A', ['providerA'], { target: 'notice A' }),
  linkOp('loader', 'answer page of notice B', ['providerB'], { target: 'notice B' }),
  linkOp('action', 'fresh link for notice A from its page', ['providerA'], { intent: 'fresh-link', target: 'notice A' }),
  linkOp('action', 'acknowledge notice A', ['providerA'], { intent: 'acknowledge', target: 'notice A' }),
  linkOp('action', 'acknowledge notice B', ['providerB'], { intent: 'acknowledge', target: 'notice B' }),
  linkOp('action', 'answer removed', ['providerA'], { intent: 'removed', target: "a new notice of provider A's" }),
  linkOp('action', 'answer not found', ['providerA'], { intent: 'not_found', target: "a new notice of provider A's" }),
  linkOp('action', 'answer declined', ['providerA'], { intent: 'declined', target: "a new notice of provider A's" }),
  linkOp('action', 'answer not ours', ['providerA'], { intent: 'not_ours', target: "a new notice of provider A's" }),
]

const SIGN_IN: Denial = { status: 302, location: '/staff/sign-in' }

/** The answer a denied cell must give (see the header). */
export function expectedDenial(op: Operation, subject: Subject): Denial {
  if (op.denied) return op.denied
  switch (op.family) {
    case 'staff':
      if (!STAFF.includes(subject)) return SIGN_IN
      return { status: op.kind === 'object' ? 404 : 403 }
    case 'api':
      if (!PROVIDERS.includes(subject)) return { status: 401 }
      return { status: op.kind === 'object' ? 404 : 403 }
    case 'survivor':
      if (!SURVIVORS.includes(subject)) return { status: 401 }
      return { status: op.kind === 'object' ? 404 : 403 }
    case 'link':
      return { status: 404 }
    default:
      throw new Error(`${op.id}: a ${op.family} operation needs its denial written out (denied)`)
  }
}

/** The success statuses of an allowed cell. */
export function okStatuses(op: Operation): readonly number[] {
  return op.ok === undefined ? [200] : typeof op.ok === 'number' ? [op.ok] : op.ok
}
