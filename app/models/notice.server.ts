/**
 * Removal notices: a caseworker drafts them from a case's web addresses (one
 * notice per provider), reviews the rendered text, adds an explanation, and
 * sends. Sending changes the notice and queues its emails in one
 * transaction (outbox), so a notice is never "sent" without its emails, nor
 * emailed without being recorded as sent.
 *
 * Every change appends an audit entry and, for the case's timeline, a
 * notice_event; neither holds personal data (ids, counts and states only:
 * no addresses, no names, no web addresses).
 *
 * Locks are taken in the order deleteCase takes them (the case row, then the
 * notice), so a survivor deleting their case and a caseworker sending a
 * notice queue behind each other instead of deadlocking.
 */
import type { Kysely, Transaction } from 'kysely'
import { z } from 'zod'
import type { ActorType, Database, NoticeState, Regime, Requester } from '../../db/schema'
import { renderNotice, type NoticeProps, type Organisation, type RenderedNotice, type Signatory } from '../../emails/notice'
import { decryptPersonal, DecryptionError } from '../lib/crypto.server'
import { getEnv } from '../lib/env.server'
import { NotFoundError, ValidationError } from '../lib/errors.server'
import { newId } from '../lib/ids.server'
import { log } from '../lib/log.server'
import { issueNoticeLink } from '../lib/notice-link.server'
import { enqueueEmail } from '../lib/outbox.server'
import { appendAudit } from './audit.server'

type DB = Kysely<Database>
type Trx = Transaction<Database>

/** The caseworker doing something to a notice. */
export interface StaffActor {
  staffId: string
}

const HOUR = 60 * 60 * 1000
const DAY = 24 * HOUR

/** Fixed by the TAKE IT DOWN Act, Section 3(a)(3): not a setting. */
export const TAKE_IT_DOWN_HOURS = 48
export const MAX_EXPLANATION_LENGTH = 4000
export const MAX_LOCATIONS_PER_DRAFT = 200

export interface NoticeTiming {
  /** Days a provider is given under the DMCA, the DSA and generic requests, none of which sets a period. */
  responseDays: number
  /** How long before a TAKE IT DOWN deadline the caseworker is reminded. */
  takeItDownReminderMs: number
  /** How long before any other deadline the caseworker is reminded. */
  otherReminderMs: number
}

export const DEFAULT_NOTICE_TIMING: NoticeTiming = {
  responseDays: 14,
  takeItDownReminderMs: 24 * HOUR,
  otherReminderMs: 3 * DAY,
}

/** Notices still in play: a web address in one of these is not drafted again. */
const OPEN_STATES: NoticeState[] = ['draft', 'queued', 'sent', 'acknowledged', 'overdue', 'escalated']

/** When a notice sent at `sentAt` falls due, and when to remind the caseworker. */
export function noticeDeadlines(regime: Regime, sentAt: number, timing: Partial<NoticeTiming> = {}): { deadlineAt: number; reminderDueAt: number } {
  const t = { ...DEFAULT_NOTICE_TIMING, ...timing }
  const takeItDown = regime === 'takeitdown'
  const deadlineAt = sentAt + (takeItDown ? TAKE_IT_DOWN_HOURS * HOUR : t.responseDays * DAY)
  const before = takeItDown ? t.takeItDownReminderMs : t.otherReminderMs
  // A reminder set before the notice went out would fire at once; remind no earlier than sending.
  return { deadlineAt, reminderDueAt: Math.max(sentAt, deadlineAt - before) }
}

/** The right-hand side of our Message-IDs: PUBLIC_URL's host when it is a plain name. */
function messageIdHost(publicUrl: string): string {
  try {
    const host = new URL(publicUrl).hostname
    if (/^[a-z0-9.-]+$/i.test(host) && /[a-z]/i.test(host)) return host.toLowerCase()
  } catch {
    // PUBLIC_URL is checked by parseEnv; fall through to a name that is never anyone's.
  }
  return 'takeback.invalid'
}

/**
 * The Message-ID of the copy of notice `noticeId` sent to its `index`-th
 * address (0 first). Stable, so a provider's reply (In-Reply-To) and a retried
 * delivery both lead back to the notice; distinct per address, because a
 * Message-ID names one message.
 */
export function noticeMessageId(noticeId: string, index: number, publicUrl: string = getEnv().PUBLIC_URL): string {
  const suffix = index === 0 ? '' : `.${index + 1}`
  return `<notice-${noticeId}${suffix}@${messageIdHost(publicUrl)}>`
}

/** The notice id inside one of our Message-IDs, or null for any other. */
export function noticeIdFromMessageId(messageId: string): string | null {
  return /^<notice-([0-9a-f-]{36})(?:\.\d+)?@[^\s<>@]+>$/i.exec(messageId.trim())?.[1]?.toLowerCase() ?? null
}

/**
 * The notice's reference page: it says how to answer and offers a fresh link
 * by email. Previews show it, because a preview must not make a link; the
 * emails carry a signed link of their own (app/lib/notice-link.server.ts).
 */
export function noticeReferenceUrl(noticeId: string, publicUrl: string = getEnv().PUBLIC_URL): string {
  return `${publicUrl.replace(/\/+$/, '')}/notices/${encodeURIComponent(noticeId)}`
}

// ---------------------------------------------------------------------------
// Helpers

function staffEvent(trx: Trx, values: { noticeId: string; caseId: string; kind: string; actor: StaffActor; detail: Record<string, unknown> | null; now: number }) {
  return trx
    .insertInto('notice_event')
    .values({
      id: newId(),
      notice_id: values.noticeId,
      case_id: values.caseId,
      kind: values.kind,
      actor_type: 'staff',
      actor_id: values.actor.staffId,
      detail: values.detail ? JSON.stringify(values.detail) : null,
      created_at: values.now,
    })
    .execute()
}

function staffAudit(actor: StaffActor, action: string, noticeId: string, detail: Record<string, unknown>) {
  return { actorType: 'staff' as const, actorId: actor.staffId, action, objectType: 'notice', objectId: noticeId, detail }
}

/**
 * The case, locked for this transaction (the update takes a row lock on
 * PostgreSQL; SQLite has one writer anyway), with what notices need of it.
 * Refuses a case whose notices can no longer be sent.
 */
async function lockCaseForNotices(trx: Trx, caseId: string, now: number) {
  const c = await trx
    .updateTable('survivor_case')
    .set({ updated_at: now })
    .where('id', '=', caseId)
    .returning(['id', 'state', 'notices_consent', 'requester', 'signature_ciphertext'])
    .executeTakeFirst()
  if (!c) throw new NotFoundError('This case does not exist.')
  if (c.state === 'deleted') throw new ValidationError('caseId', 'The survivor deleted this case, so no notices can be sent for it.')
  if (c.state === 'withdrawn') throw new ValidationError('caseId', 'The survivor withdrew this case, so no notices can be sent for it.')
  if (c.state !== 'open') throw new ValidationError('caseId', 'This case is closed, so no notices can be sent for it.')
  if (c.notices_consent !== 1) {
    throw new ValidationError(
      'caseId',
      'The survivor has not agreed to removal notices for this case, so none can be drafted or sent. Notices are possible only once they agree.',
    )
  }
  return c
}

/** A plain address: one @, no spaces, no list, no display name (what the mailer will accept). */
const SINGLE_ADDRESS = /^[^\s@<>,;:"()[\]\\]+@[^\s@<>,;:"()[\]\\]+\.[^\s@<>,;:"()[\]\\]+$/
const NoticeEmailsSchema = z.array(z.string())

/** The provider's notice addresses as stored: trimmed, without blanks or repeats (case-insensitive). */
function storedNoticeEmails(json: string): string[] | null {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    return null
  }
  const parsed = NoticeEmailsSchema.safeParse(value)
  if (!parsed.success) return null
  const seen = new Set<string>()
  const out: string[] = []
  for (const raw of parsed.data) {
    const address = raw.trim()
    if (address === '' || seen.has(address.toLowerCase())) continue
    seen.add(address.toLowerCase())
    out.push(address)
  }
  return out
}

/** The survivor's signature choice: their typed name if they gave one, else the organisation signs. */
function signatoryFor(c: { requester: Requester; signature_ciphertext: string | null }, noticeId: string): Signatory {
  if (!c.signature_ciphertext) return { kind: 'organisation' }
  let fullName: string
  try {
    fullName = decryptPersonal(c.signature_ciphertext).trim()
  } catch (error) {
    if (!(error instanceof DecryptionError)) throw error
    // Signing as the representative is still a valid notice; the caseworker sees it in the preview.
    log.warn({ event: 'notice.signature_undecryptable', noticeId }, 'a signature could not be decrypted; is an old CONTACT_KEY missing?')
    return { kind: 'organisation' }
  }
  if (fullName === '') return { kind: 'organisation' }
  return { kind: 'person', fullName, capacity: c.requester === 'helper' ? 'on_behalf' : 'self' }
}

interface LoadedNotice {
  notice: { id: string; case_id: string; provider_id: string; regime: Regime; state: NoticeState; explanation: string | null; sent_at: number | null; deadline_at: number | null }
  provider: { id: string; name: string; notice_emails: string; is_placeholder: number; disabled_at: number | null }
  urls: string[]
}

async function loadNotice(db: DB, noticeId: string): Promise<LoadedNotice> {
  const notice = await db
    .selectFrom('notice')
    .select(['id', 'case_id', 'provider_id', 'regime', 'state', 'explanation', 'sent_at', 'deadline_at'])
    .where('id', '=', noticeId)
    .executeTakeFirst()
  if (!notice) throw new NotFoundError('This notice does not exist.')
  const provider = await db
    .selectFrom('provider')
    .select(['id', 'name', 'notice_emails', 'is_placeholder', 'disabled_at'])
    .where('id', '=', notice.provider_id)
    .executeTakeFirstOrThrow()
  // Addresses the survivor withdrew since drafting are left out.
  const locations = await db
    .selectFrom('notice_location')
    .innerJoin('case_location', 'case_location.id', 'notice_location.location_id')
    .select('case_location.url')
    .where('notice_location.notice_id', '=', noticeId)
    .where('case_location.state', '!=', 'withdrawn')
    .orderBy('case_location.created_at')
    .orderBy('case_location.id')
    .execute()
  return { notice, provider, urls: locations.map((l) => l.url) }
}

function propsFor(
  loaded: LoadedNotice,
  c: { requester: Requester; signature_ciphertext: string | null },
  org: Organisation,
  sentAt: number,
  deadlineAt: number,
  responseUrl: string,
): NoticeProps {
  return {
    reference: loaded.notice.id,
    providerName: loaded.provider.name,
    urls: loaded.urls,
    organisation: org,
    signatory: signatoryFor(c, loaded.notice.id),
    childSexualAbuseMaterial: c.requester === 'self_minor',
    explanation: loaded.notice.explanation,
    responseUrl,
    sentAt,
    deadlineAt,
  }
}

export interface NoticeOptions {
  timing?: Partial<NoticeTiming>
  /** Where the provider answers; a new signed link when sending, the reference page in previews. */
  responseUrl?: (noticeId: string) => string
}

// ---------------------------------------------------------------------------
// Drafting

export interface DraftedNotice {
  noticeId: string
  providerId: string
  providerName: string
  regime: Regime
  locationIds: string[]
}

const LocationIdsSchema = z
  .array(z.string().min(1).max(64), { error: 'Choose at least one web address.' })
  .min(1, 'Choose at least one web address.')
  .max(MAX_LOCATIONS_PER_DRAFT, `Choose at most ${MAX_LOCATIONS_PER_DRAFT} web addresses at a time.`)

/**
 * Draft notices for the chosen web addresses of a case: one per provider, in
 * the provider's regime, each in state `draft`. Addresses whose website is not
 * in the provider directory, withdrawn addresses, and addresses already in an
 * open notice are refused by name; so is a case the survivor deleted or
 * withdrew, or one without consent to notices.
 */
export async function draftNotices(db: DB, caseId: string, locationIds: readonly string[], actor: StaffActor, now = Date.now()): Promise<DraftedNotice[]> {
  const parsed = LocationIdsSchema.safeParse(locationIds)
  if (!parsed.success) throw new ValidationError('locationIds', parsed.error.issues[0]?.message ?? 'Choose at least one web address.')
  const ids = [...new Set(parsed.data)]

  return db.transaction().execute(async (trx) => {
    await lockCaseForNotices(trx, caseId, now)

    const found = await trx
      .selectFrom('case_location')
      .select(['id', 'url', 'registrable_domain', 'provider_id', 'state', 'created_at'])
      .where('case_id', '=', caseId)
      .where('id', 'in', ids)
      .execute()
    if (found.length !== ids.length) {
      throw new ValidationError('locationIds', 'A chosen web address is not part of this case. Reload the page and choose again.')
    }
    // In the order the caseworker chose them, so notices list addresses predictably.
    const order = new Map(ids.map((id, i) => [id, i]))
    const locations = found.sort((a, b) => order.get(a.id)! - order.get(b.id)!)

    const withdrawn = locations.find((l) => l.state === 'withdrawn')
    if (withdrawn) throw new ValidationError('locationIds', `The survivor withdrew ${withdrawn.url}, so it cannot go in a notice.`)

    // A website added to the directory after the survivor reported it is
    // linked now, so "add it to the directory" followed by a retry works.
    const unlinked = locations.filter((l) => l.provider_id === null)
    if (unlinked.length > 0) {
      const known = await trx
        .selectFrom('provider_domain')
        .select(['domain', 'provider_id'])
        .where('domain', 'in', [...new Set(unlinked.map((l) => l.registrable_domain))])
        .execute()
      const providerOf = new Map(known.map((k) => [k.domain, k.provider_id]))
      for (const l of unlinked) {
        const providerId = providerOf.get(l.registrable_domain)
        if (!providerId) {
          throw new ValidationError('locationIds', `No provider is known for ${l.url}: add the website to the provider directory first.`)
        }
        l.provider_id = providerId
        await trx.updateTable('case_location').set({ provider_id: providerId, updated_at: now }).where('id', '=', l.id).execute()
      }
    }

    const providerIds = [...new Set(locations.map((l) => l.provider_id!))]
    const providers = await trx.selectFrom('provider').select(['id', 'name', 'regime', 'disabled_at']).where('id', 'in', providerIds).execute()
    const providerById = new Map(providers.map((p) => [p.id, p]))
    for (const l of locations) {
      const p = providerById.get(l.provider_id!)
      if (p?.disabled_at != null) {
        throw new ValidationError('locationIds', `${p.name}, the provider for ${l.url}, is disabled in the provider directory. Enable it first.`)
      }
    }

    const inFlight = await trx
      .selectFrom('notice_location')
      .innerJoin('notice', 'notice.id', 'notice_location.notice_id')
      .select(['notice_location.location_id', 'notice.id as notice_id'])
      .where('notice_location.location_id', 'in', ids)
      .where('notice.state', 'in', OPEN_STATES)
      .execute()
    if (inFlight.length > 0) {
      const url = locations.find((l) => l.id === inFlight[0]!.location_id)?.url
      throw new ValidationError('locationIds', `${url} is already in an open notice (${inFlight[0]!.notice_id}).`)
    }

    const drafted: DraftedNotice[] = []
    for (const providerId of providerIds) {
      const provider = providerById.get(providerId)!
      const mine = locations.filter((l) => l.provider_id === providerId).map((l) => l.id)
      const noticeId = newId()
      await trx
        .insertInto('notice')
        .values({
          id: noticeId,
          case_id: caseId,
          provider_id: providerId,
          regime: provider.regime,
          state: 'draft',
          explanation: null,
          message_id: null,
          created_by: actor.staffId,
          sent_at: null,
          delivered_at: null,
          acknowledged_at: null,
          resolved_at: null,
          deadline_at: null,
          reminder_due_at: null,
          reminded_at: null,
          overdue_at: null,
          created_at: now,
          updated_at: now,
        })
        .execute()
      await trx
        .insertInto('notice_location')
        .values(mine.map((locationId) => ({ notice_id: noticeId, location_id: locationId, outcome: null })))
        .execute()
      await staffEvent(trx, { noticeId, caseId, kind: 'drafted', actor, detail: { locations: mine.length, regime: provider.regime }, now })
      await appendAudit(trx, staffAudit(actor, 'notice.drafted', noticeId, { caseId, providerId, regime: provider.regime, locations: mine.length }), now)
      drafted.push({ noticeId, providerId, providerName: provider.name, regime: provider.regime, locationIds: mine })
    }
    return drafted
  })
}

// ---------------------------------------------------------------------------
// Preview and explanation

export interface NoticePreview extends RenderedNotice {
  to: string[]
}

/**
 * The notice as it would go out now (or, once sent, as it went out with its
 * stored dates), and the addresses it goes to: for the caseworker's review.
 */
export async function previewNotice(db: DB, noticeId: string, org: Organisation, now = Date.now(), options: NoticeOptions = {}): Promise<NoticePreview> {
  const loaded = await loadNotice(db, noticeId)
  const c = await db
    .selectFrom('survivor_case')
    .select(['requester', 'signature_ciphertext'])
    .where('id', '=', loaded.notice.case_id)
    .executeTakeFirstOrThrow()
  const sentAt = loaded.notice.sent_at ?? now
  const deadlineAt = loaded.notice.deadline_at ?? noticeDeadlines(loaded.notice.regime, sentAt, options.timing).deadlineAt
  const responseUrl = (options.responseUrl ?? noticeReferenceUrl)(noticeId)
  const rendered = renderNotice(loaded.notice.regime, propsFor(loaded, c, org, sentAt, deadlineAt, responseUrl))
  return { to: storedNoticeEmails(loaded.provider.notice_emails) ?? [], ...rendered }
}

const ExplanationSchema = z
  .string({ error: 'Write the explanation as text.' })
  .transform((s) => s.trim())
  .pipe(
    z
      .string()
      .max(MAX_EXPLANATION_LENGTH, `The explanation can be at most ${MAX_EXPLANATION_LENGTH.toLocaleString('en')} characters.`)
      // eslint-disable-next-line no-control-regex
      .refine((s) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s), 'The explanation contains characters that cannot be sent; retype it.'),
  )

/**
 * Set the caseworker's explanation of a draft notice (plain text, up to
 * 4,000 characters; empty removes it). Stored as typed: templates escape it
 * when they render, so it is never treated as markup.
 */
export async function setExplanation(db: DB, noticeId: string, text: string, actor: StaffActor, now = Date.now()): Promise<{ explanation: string | null }> {
  const parsed = ExplanationSchema.safeParse(text)
  if (!parsed.success) throw new ValidationError('explanation', parsed.error.issues[0]?.message ?? 'The explanation is not valid.')
  const explanation = parsed.data === '' ? null : parsed.data
  return db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('notice')
      .set({ explanation, updated_at: now })
      .where('id', '=', noticeId)
      .where('state', '=', 'draft')
      .returning('id')
      .executeTakeFirst()
    if (!updated) {
      const exists = await trx.selectFrom('notice').select('id').where('id', '=', noticeId).executeTakeFirst()
      if (!exists) throw new NotFoundError('This notice does not exist.')
      throw new ValidationError('explanation', 'This notice has been sent, so its explanation can no longer change.')
    }
    await appendAudit(trx, staffAudit(actor, 'notice.explanation_set', noticeId, { length: explanation?.length ?? 0 }), now)
    return { explanation }
  })
}

// ---------------------------------------------------------------------------
// Sending

const ALREADY_SENT = 'This notice has already been sent. Only a draft can be sent.'

export interface SentNotice {
  noticeId: string
  recipients: number
  messageIds: string[]
  sentAt: number
  deadlineAt: number
  reminderDueAt: number
}

/**
 * Send a draft notice: in one transaction, mark it sent with its deadline and
 * reminder, queue one email per notice address of the provider, and record a
 * `sent` event and an audit entry. Anything that fails leaves the notice a
 * draft with nothing queued. Only a draft can be sent; a provider whose
 * contacts are placeholders is refused.
 */
export async function sendNotice(db: DB, noticeId: string, actor: StaffActor, org: Organisation, now = Date.now(), options: NoticeOptions = {}): Promise<SentNotice> {
  return db.transaction().execute(async (trx) => {
    const first = await trx.selectFrom('notice').select(['case_id', 'state']).where('id', '=', noticeId).executeTakeFirst()
    if (!first) throw new NotFoundError('This notice does not exist.')
    if (first.state === 'closed') throw new ValidationError('noticeId', 'This notice was closed, so it cannot be sent.')
    if (first.state !== 'draft') throw new ValidationError('noticeId', ALREADY_SENT)

    // The case first, then the notice: the order deleteCase locks them in.
    const c = await lockCaseForNotices(trx, first.case_id, now)
    const loaded = await loadNotice(trx, noticeId)
    const { provider, notice } = loaded
    if (provider.is_placeholder === 1) {
      throw new ValidationError('provider', `${provider.name} has a placeholder contact address: replace the placeholder contact first, in the provider directory.`)
    }
    if (provider.disabled_at !== null) throw new ValidationError('provider', `${provider.name} is disabled in the provider directory. Enable it first.`)
    const addresses = storedNoticeEmails(provider.notice_emails)
    if (addresses === null) throw new ValidationError('provider', `The notice addresses of ${provider.name} cannot be read. Fix them in the provider directory.`)
    if (addresses.length === 0) throw new ValidationError('provider', `${provider.name} has no notice address. Add one in the provider directory first.`)
    // The error never quotes the address: it may be someone's personal mailbox.
    if (addresses.some((a) => !SINGLE_ADDRESS.test(a))) {
      throw new ValidationError('provider', `A notice address of ${provider.name} is not a valid email address. Fix it in the provider directory.`)
    }
    if (loaded.urls.length === 0) throw new ValidationError('noticeId', 'Every web address in this notice has been withdrawn, so there is nothing to send.')

    const { deadlineAt, reminderDueAt } = noticeDeadlines(notice.regime, now, options.timing)
    const messageIds = addresses.map((_, i) => noticeMessageId(noticeId, i))
    // Conditional on still being a draft: of two sends racing past the check above, one wins.
    const claimed = await trx
      .updateTable('notice')
      .set({ state: 'sent', sent_at: now, deadline_at: deadlineAt, reminder_due_at: reminderDueAt, message_id: messageIds[0]!, updated_at: now })
      .where('id', '=', noticeId)
      .where('state', '=', 'draft')
      .executeTakeFirst()
    if (claimed.numUpdatedRows === 0n) throw new ValidationError('noticeId', ALREADY_SENT)

    // The provider's own signed link, made in this transaction: it exists exactly when the email does.
    const responseUrl = options.responseUrl ? options.responseUrl(noticeId) : (await issueNoticeLink(trx, noticeId, now)).url
    const rendered = renderNotice(notice.regime, propsFor(loaded, c, org, now, deadlineAt, responseUrl))
    for (const [i, to] of addresses.entries()) {
      // Replies go to the organisation, except from a DSA notice about a child, which names no notifier (Article 16(2)(c)).
      const replyTo = notice.regime === 'dsa' && c.requester === 'self_minor' ? undefined : org.email
      await enqueueEmail(trx, { kind: 'notice', to, ...rendered, noticeId, messageId: messageIds[i]!, replyTo }, now)
    }
    await staffEvent(trx, { noticeId, caseId: notice.case_id, kind: 'sent', actor, detail: { recipients: addresses.length }, now })
    await appendAudit(
      trx,
      staffAudit(actor, 'notice.sent', noticeId, { caseId: notice.case_id, regime: notice.regime, recipients: addresses.length, locations: loaded.urls.length, deadlineAt }),
      now,
    )
    return { noticeId, recipients: addresses.length, messageIds, sentAt: now, deadlineAt, reminderDueAt }
  })
}

// ---------------------------------------------------------------------------
// Timeline

export interface TimelineEvent {
  id: string
  noticeId: string | null
  providerName: string | null
  regime: Regime | null
  kind: string
  actorType: ActorType
  actorId: string | null
  detail: Record<string, unknown> | null
  createdAt: number
}

/** Every notice event of a case, oldest first. */
export async function noticeTimeline(db: DB, caseId: string): Promise<TimelineEvent[]> {
  const rows = await db
    .selectFrom('notice_event')
    .leftJoin('notice', 'notice.id', 'notice_event.notice_id')
    .leftJoin('provider', 'provider.id', 'notice.provider_id')
    .select([
      'notice_event.id',
      'notice_event.notice_id',
      'notice_event.kind',
      'notice_event.actor_type',
      'notice_event.actor_id',
      'notice_event.detail',
      'notice_event.created_at',
      'notice.regime',
      'provider.name as provider_name',
    ])
    .where('notice_event.case_id', '=', caseId)
    // Ids are UUIDv7: within one millisecond they keep the order of insertion.
    .orderBy('notice_event.created_at')
    .orderBy('notice_event.id')
    .execute()
  return rows.map((r) => ({
    id: r.id,
    noticeId: r.notice_id,
    providerName: r.provider_name,
    regime: r.regime,
    kind: r.kind,
    actorType: r.actor_type,
    actorId: r.actor_id,
    detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : null,
    createdAt: r.created_at,
  }))
}
