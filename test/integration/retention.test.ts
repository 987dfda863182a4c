/**
 * Retention on a real database (SQLite and PostgreSQL), with a fixed `now`:
 * what is just inside each period stays, what is just outside goes; a deleted
 * case becomes a tombstone that sign-in treats as it did before; the audit
 * chain still verifies; and a second run changes nothing.
 *
 * Each test works in its own era (ten years after the previous one) and
 * first runs retention once, so what earlier tests left behind, all far
 * older, is already gone and the counts below are this test's own.
 */
import crypto from 'node:crypto'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import type { Database, NoticeState } from '../../db/schema'
import { formatCaseNumber, newCaseNumber } from '../../app/lib/case-codes.server'
import { getDb } from '../../app/lib/db.server'
import { newId } from '../../app/lib/ids.server'
import { enqueueEmail } from '../../app/lib/outbox.server'
import { createSurvivorSession } from '../../app/lib/survivor-session.server'
import { verifyAuditChain } from '../../app/models/audit.server'
import { addNote } from '../../app/models/case-queue.server'
import type { NewRequestInput } from '../../app/models/case.schema'
import { createCase, deleteCase, withdrawHashes } from '../../app/models/case.server'
import { IDEMPOTENCY_KEEP_MS, runRetention, type RetentionPolicy } from '../../app/models/retention.server'
import { action as statusAction } from '../../app/routes/status'
import { callRoute } from '../helpers/remix'

const DAY = 24 * 60 * 60 * 1000
const POLICY: RetentionPolicy = { withdrawnHashDays: 90, resolvedNoticeDays: 180, sentMailDays: 30 }
let era = 0
/** A fixed `now` for one test, ten years after the previous test's. */
const nextNow = () => Date.UTC(2030, 0, 1) + ++era * 3650 * DAY

const hex = (length: number) => crypto.randomBytes(length / 2).toString('hex')
const image = () => ({ media: 'image' as const, pdq: hex(64), quality: 90, md5: hex(32), sha256: hex(64) })
const request = (over: Partial<NewRequestInput> = {}): NewRequestInput => ({
  idempotencyKey: crypto.randomBytes(18).toString('base64url'),
  requester: 'self_adult',
  language: 'en',
  files: [image()],
  urls: [],
  shareHashes: true,
  noticesConsent: false,
  ...over,
})

async function insertStaff(): Promise<string> {
  const id = newId()
  await getDb()
    .insertInto('staff_user')
    .values({ id, email: `cw-${id}@example.org`, role: 'caseworker', password_hash: 'x', totp_secret: null, totp_last_step: null, disabled_at: null, last_sign_in_at: null, created_at: 1, updated_at: 1 })
    .execute()
  return id
}

async function insertProvider(): Promise<string> {
  const id = newId()
  await getDb()
    .insertInto('provider')
    .values({ id, name: `Host ${id}`, notice_emails: '["abuse@host.example"]', regime: 'dmca', hash_list: 1, feed_checkpoint: null, feed_last_fetch_at: null, created_at: 1, updated_at: 1, disabled_at: null })
    .execute()
  return id
}

/** A notice with an explanation and one delivered email to the provider. */
async function insertNotice(caseId: string, providerId: string, state: NoticeState, resolvedAt: number | null, at: number) {
  const id = newId()
  await getDb()
    .insertInto('notice')
    .values({
      id,
      case_id: caseId,
      provider_id: providerId,
      regime: 'dmca',
      state,
      explanation: 'The person shown is the survivor; she never agreed to this.',
      message_id: `<notice-${id}@takeback.test>`,
      created_by: null,
      sent_at: at,
      delivered_at: at,
      acknowledged_at: null,
      resolved_at: resolvedAt,
      deadline_at: null,
      reminder_due_at: null,
      reminded_at: null,
      overdue_at: null,
      created_at: at,
      updated_at: at,
    })
    .execute()
  const mail = await getDb().transaction().execute((trx) =>
    enqueueEmail(trx, { kind: 'notice', to: 'abuse@host.example', subject: 'Removal request', text: 'Signed: Jane Survivor', noticeId: id }, at),
  )
  await getDb().updateTable('outbox').set({ sent_at: at, updated_at: at }).where('id', '=', mail.id).execute()
  return { noticeId: id, outboxId: mail.id, messageId: mail.messageId }
}

async function snapshot() {
  const tables: (keyof Database)[] = ['survivor_case', 'case_hash', 'case_location', 'case_note', 'notice', 'outbox', 'session', 'case_recovery', 'idempotency_key', 'hash_feedback', 'audit_log']
  const out: Record<string, unknown[]> = {}
  for (const t of tables) out[t] = (await sql`select * from ${sql.table(t)}`.execute(getDb())).rows.map((r) => JSON.stringify(r)).sort()
  return out
}

describe('runRetention', () => {
  it('keeps a withdrawn hash in the feed for the whole period and deletes it, with its feedback, just after', async () => {
    const now = nextNow()
    await runRetention(getDb(), now, POLICY)
    const db = getDb()
    const cutoff = now - POLICY.withdrawnHashDays * DAY
    const c = await createCase(db, request({ files: [image(), image(), image()] }), cutoff - 10 * DAY)
    const items = await db.selectFrom('case_hash').select(['id', 'item']).where('case_id', '=', c.caseId).orderBy('item').execute()
    const idsOf = (item: number) => items.filter((h) => h.item === item).map((h) => h.id)
    await withdrawHashes(db, c.caseId, { hashIds: idsOf(1) }, cutoff - 1) // just outside
    await withdrawHashes(db, c.caseId, { hashIds: idsOf(2) }, cutoff) // just inside
    const provider = await insertProvider()
    await db
      .insertInto('hash_feedback')
      .values({ id: newId(), hash_id: idsOf(1)[0]!, provider_id: provider, value: 'Blocked', tags: null, created_at: cutoff - 1, updated_at: cutoff - 1 })
      .execute()

    const result = await runRetention(db, now, POLICY)

    expect(result.withdrawnHashes).toBe(3)
    const left = await db.selectFrom('case_hash').select(['item', 'status']).where('case_id', '=', c.caseId).orderBy('item').execute()
    // Item 2 is still in the feed as withdrawn; item 3, never withdrawn, is untouched though older than the period.
    expect(left).toEqual([
      { item: 2, status: 'withdrawn' },
      { item: 2, status: 'withdrawn' },
      { item: 2, status: 'withdrawn' },
      { item: 3, status: 'active' },
      { item: 3, status: 'active' },
      { item: 3, status: 'active' },
    ])
    expect(await db.selectFrom('hash_feedback').select('id').where('provider_id', '=', provider).execute()).toEqual([])
  })

  it('turns a deleted case into a tombstone that sign-in answers exactly as before, and the feed still shows its hashes as withdrawn', async () => {
    const now = nextNow()
    await runRetention(getDb(), now, POLICY)
    const db = getDb()
    const at = now - 2 * DAY
    const c = await createCase(
      db,
      request({ urls: ['https://jane.blog.example.com/photos/1'], noticesConsent: true, contactEmail: 'jane@example.org', signature: 'Jane Survivor' }),
      at,
    )
    const staff = await insertStaff()
    await addNote(db, c.caseId, { id: staff }, 'Survivor called; she is safe at her sister’s.', at)
    const notice = await insertNotice(c.caseId, await insertProvider(), 'sent', null, at)
    await createSurvivorSession(db, c.caseId, at)
    await deleteCase(db, c.caseId, now - DAY)

    const signIn = () =>
      callRoute(statusAction, '/status', { form: { intent: 'sign-in', caseNumber: c.caseNumber, secret: c.secret }, clientAddress: crypto.randomUUID() })
    const before = await signIn()

    const result = await runRetention(db, now, POLICY)

    expect(result).toMatchObject({ tombstoneNotes: 1, tombstoneLocations: 1, tombstoneNotices: 2, withdrawnHashes: 0 })
    const row = await db.selectFrom('survivor_case').selectAll().where('id', '=', c.caseId).executeTakeFirstOrThrow()
    expect(row).toMatchObject({
      case_number: c.caseNumber.replace('-', ''),
      state: 'deleted',
      created_at: at,
      deleted_at: now - DAY,
      secret_hash: null,
      contact_ciphertext: null,
      signature_ciphertext: null,
    })
    expect(await db.selectFrom('case_note').select('id').where('case_id', '=', c.caseId).execute()).toEqual([])
    expect(await db.selectFrom('case_location').select(['url', 'host', 'registrable_domain', 'state']).where('case_id', '=', c.caseId).execute()).toEqual([
      { url: '', host: 'example.com', registrable_domain: 'example.com', state: 'withdrawn' },
    ])
    expect(await db.selectFrom('notice').select(['state', 'explanation']).where('id', '=', notice.noticeId).executeTakeFirst()).toEqual({ state: 'closed', explanation: null })
    expect(await db.selectFrom('outbox').select(['recipient', 'subject', 'text_body', 'html_body', 'message_id']).where('id', '=', notice.outboxId).executeTakeFirst()).toEqual({
      recipient: '',
      subject: '',
      text_body: '',
      html_body: null,
      // Kept: it is how a late reply is matched to the notice.
      message_id: notice.messageId,
    })
    expect(await db.selectFrom('session').select('id').where('case_id', '=', c.caseId).execute()).toEqual([])
    // Deleted a day ago: its hashes stay in the feed, withdrawn, until the period ends.
    const hashes = await db.selectFrom('case_hash').select('status').where('case_id', '=', c.caseId).execute()
    expect(hashes.map((h) => h.status)).toEqual(['withdrawn', 'withdrawn', 'withdrawn'])

    // Sign-in answers the tombstone as it answered the deleted case, which is as it answers a wrong secret.
    const after = await signIn()
    const unknown = await callRoute(statusAction, '/status', {
      form: { intent: 'sign-in', caseNumber: formatCaseNumber(newCaseNumber()), secret: c.secret },
      clientAddress: crypto.randomUUID(),
    })
    expect(after.status).toBe(400)
    expect(after.data).toEqual(before.data)
    expect(after.data).toEqual(unknown.data)

    // And once the period is over, the hashes go too; the tombstone stays.
    await runRetention(db, now - DAY + POLICY.withdrawnHashDays * DAY + 1, POLICY)
    expect(await db.selectFrom('case_hash').select('id').where('case_id', '=', c.caseId).execute()).toEqual([])
    expect(await db.selectFrom('survivor_case').select('state').where('id', '=', c.caseId).executeTakeFirst()).toEqual({ state: 'deleted' })
  })

  it('erases a resolved notice’s explanation and mail, and a closed case’s signature, only after the period', async () => {
    const now = nextNow()
    await runRetention(getDb(), now, POLICY)
    const db = getDb()
    const cutoff = now - POLICY.resolvedNoticeDays * DAY
    const provider = await insertProvider()
    const old = await createCase(db, request({ signature: 'Old Survivor' }), cutoff - 30 * DAY)
    const recent = await createCase(db, request({ signature: 'Recent Survivor' }), cutoff - 30 * DAY)
    const open = await createCase(db, request({ signature: 'Open Survivor' }), cutoff - 30 * DAY)
    await db.updateTable('survivor_case').set({ state: 'closed', closed_at: cutoff - 1 }).where('id', '=', old.caseId).execute()
    await db.updateTable('survivor_case').set({ state: 'closed', closed_at: cutoff }).where('id', '=', recent.caseId).execute()
    const outside = await insertNotice(old.caseId, provider, 'removed', cutoff - 1, cutoff - 20 * DAY)
    const inside = await insertNotice(recent.caseId, provider, 'declined', cutoff, cutoff - 20 * DAY)
    // Sent long ago and never answered: still open, so nothing of it goes.
    const unanswered = await insertNotice(open.caseId, provider, 'overdue', null, cutoff - 20 * DAY)

    const result = await runRetention(db, now, POLICY)

    expect(result).toMatchObject({ noticeExplanations: 1, noticeMail: 1, signatures: 1 })
    const explanation = async (id: string) => (await db.selectFrom('notice').select('explanation').where('id', '=', id).executeTakeFirstOrThrow()).explanation
    const body = async (id: string) => (await db.selectFrom('outbox').select('text_body').where('id', '=', id).executeTakeFirstOrThrow()).text_body
    const signature = async (id: string) =>
      (await db.selectFrom('survivor_case').select('signature_ciphertext').where('id', '=', id).executeTakeFirstOrThrow()).signature_ciphertext
    expect(await explanation(outside.noticeId)).toBeNull()
    expect(await body(outside.outboxId)).toBe('')
    expect(await signature(old.caseId)).toBeNull()
    expect(await explanation(inside.noticeId)).not.toBeNull()
    expect(await body(inside.outboxId)).toBe('Signed: Jane Survivor')
    expect(await signature(recent.caseId)).not.toBeNull()
    expect(await explanation(unanswered.noticeId)).not.toBeNull()
    expect(await body(unanswered.outboxId)).toBe('Signed: Jane Survivor')
    expect(await signature(open.caseId)).not.toBeNull()
    // The notice itself stays, for the scorecard.
    expect(await db.selectFrom('notice').select(['state', 'resolved_at']).where('id', '=', outside.noticeId).executeTakeFirst()).toEqual({ state: 'removed', resolved_at: cutoff - 1 })
  })

  it('erases other sent mail after its period, never mail still waiting, and clears expired sessions, links and old idempotency keys', async () => {
    const now = nextNow()
    await runRetention(getDb(), now, POLICY)
    const db = getDb()
    const cutoff = now - POLICY.sentMailDays * DAY
    const mail = async (sentAt: number | null, deadAt: number | null = null) => {
      const { id } = await db.transaction().execute((trx) => enqueueEmail(trx, { kind: 'case.recovery', to: 'jane@example.org', subject: 'Your link', text: 'https://x/recover?token=t' }, cutoff - 5 * DAY))
      await db.updateTable('outbox').set({ sent_at: sentAt, dead_at: deadAt }).where('id', '=', id).execute()
      return id
    }
    const sentOutside = await mail(cutoff - 1)
    const deadOutside = await mail(null, cutoff - 1)
    const sentInside = await mail(cutoff)
    const waiting = await mail(null)

    const c = await createCase(db, request(), now - IDEMPOTENCY_KEEP_MS - 1)
    const fresh = await createCase(db, request(), now - IDEMPOTENCY_KEEP_MS)
    await createSurvivorSession(db, c.caseId, now - 3 * 60 * 60 * 1000) // ended two hours later, an hour ago
    const live = await createSurvivorSession(db, fresh.caseId, now - 60 * 1000)

    const result = await runRetention(db, now, POLICY)

    expect(result).toMatchObject({ otherMail: 2, sessions: 1, idempotencyKeys: 1 })
    const rows = await db.selectFrom('outbox').select(['id', 'recipient', 'text_body']).where('id', 'in', [sentOutside, deadOutside, sentInside, waiting]).execute()
    const byId = new Map(rows.map((r) => [r.id, r]))
    expect(byId.get(sentOutside)).toMatchObject({ recipient: '', text_body: '' })
    expect(byId.get(deadOutside)).toMatchObject({ recipient: '', text_body: '' })
    expect(byId.get(sentInside)!.text_body).not.toBe('')
    expect(byId.get(waiting)!.recipient).not.toBe('')
    expect(await db.selectFrom('session').select('case_id').execute()).toEqual([{ case_id: fresh.caseId }])
    expect(live.token).toBeTruthy()
    const keys = await db.selectFrom('idempotency_key').select('created_at').execute()
    expect(keys.map((k) => k.created_at)).toEqual([now - IDEMPOTENCY_KEEP_MS])
  })

  it('writes one audit entry with counts and no personal data; the chain verifies; a second run changes nothing', async () => {
    const now = nextNow()
    await runRetention(getDb(), now, POLICY)
    const db = getDb()
    const c = await createCase(db, request({ contactEmail: 'jane@example.org', urls: ['https://host.example/p/1'], noticesConsent: true }), now - 200 * DAY)
    await deleteCase(db, c.caseId, now - 100 * DAY)
    const head = await db.selectFrom('audit_head').select('seq').executeTakeFirstOrThrow()

    const first = await runRetention(db, now, POLICY)
    expect(first).toMatchObject({ withdrawnHashes: 3, tombstoneLocations: 1 })
    const entries = await db.selectFrom('audit_log').selectAll().where('seq', '>', head.seq).execute()
    expect(entries).toHaveLength(1)
    expect(entries[0]).toMatchObject({ actor_type: 'system', action: 'retention.run', object_id: null })
    const detail = JSON.parse(entries[0]!.detail!) as Record<string, unknown>
    const { total, full, ...counts } = first
    expect(detail).toEqual({ ...counts, policy: POLICY })
    expect(total).toBeGreaterThan(0)
    expect(full).toBe(false)
    for (const personal of ['example', 'jane', c.caseNumber.replace('-', ''), c.caseId]) expect(entries[0]!.detail).not.toContain(personal)
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true })

    const before = await snapshot()
    const second = await runRetention(db, now, POLICY)
    expect(second.total).toBe(0)
    expect(await snapshot()).toEqual(before)
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true })
  })

  it('works in batches and says when a batch was full', async () => {
    const now = nextNow()
    await runRetention(getDb(), now, POLICY)
    const db = getDb()
    const c = await createCase(db, request({ files: [image(), image()] }), now - 200 * DAY)
    await deleteCase(db, c.caseId, now - 100 * DAY)

    const policy = { ...POLICY, batchSize: 4 }
    expect(await runRetention(db, now, policy)).toMatchObject({ withdrawnHashes: 4, full: true })
    expect(await runRetention(db, now, policy)).toMatchObject({ withdrawnHashes: 2, full: false })
    expect(await db.selectFrom('case_hash').select('id').where('case_id', '=', c.caseId).execute()).toEqual([])
  })
})
