/**
 * The hash list as participating providers read it: the StopNCII wire format
 * (`FetchHashes`, so Hasher-Matcher-Actioner and python-threatexchange's
 * StopNCII client work by pointing their base URL here), and a native
 * export of every hash kind as NDJSON or CSV.
 *
 * Who sees what: only providers that take part in the hash list (hash_list=1,
 * not disabled), and only hashes of cases whose survivor consented to share
 * them. Case numbers never leave: each provider sees an opaque id per case,
 * different for every provider, so two providers cannot join their copies on
 * it either.
 *
 * Paging: by the keyset (updated_at, id), never OFFSET. Every change a
 * provider must see bumps case_hash.updated_at (withdrawal, disabling,
 * deletion, new feedback), so a hash comes round again with its new status.
 * A "set" is everything modified in [start, bound); the bound is fixed when
 * the set starts, a settle window behind the clock, so a transaction that
 * stamped its rows just before the bound has committed by the time anyone
 * reads that far. Rows stamped later belong to the next set, which starts at
 * the bound. So within a set no record is skipped or repeated however many
 * hashes arrive meanwhile.
 */
import crypto from 'node:crypto'
import { sql, type Expression, type Kysely, type SqlBool } from 'kysely'
import type { Database, HashKind, MediaKind } from '../../db/schema'
import { DomainError } from '../lib/errors.server'
import { getEnv } from '../lib/env.server'
import { log } from '../lib/log.server'
import type { ProviderView } from './provider.server'

type DB = Kysely<Database>

/**
 * How far behind the clock a set ends. It must outlast the longest write
 * transaction that stamps case_hash.updated_at (a bulk import), or rows
 * stamped before the bound could commit after a client read past them.
 */
export const FEED_SETTLE_MS = 30_000
export const FEED_DEFAULT_PAGE_SIZE = 800
export const FEED_MAX_PAGE_SIZE = 1000
/**
 * Rows the native export reads per query; the stream holds at most one batch
 * (about 1.5 MB of NDJSON at 5,000). Each query has a fixed cost besides its
 * rows: exporting 200,000 rows 1,000 at a time took about a quarter longer.
 */
export const EXPORT_BATCH_SIZE = 5000

// ---------------------------------------------------------------------------
// The StopNCII wire format (names, casing and enum values as the client parses them)

/** The StopNCII signal types Takeback emits. The client also knows VideoTMK, Text, URL and Unknown. */
export type StopnciiSignalType = 'ImagePDQ' | 'VideoMD5'
/** hashStatus and the values of caseNumbers. The client also knows Received and Unknown. */
export type StopnciiHashStatus = 'Active' | 'Withdrawn' | 'Deleted'

export interface StopnciiFeedback {
  feedbackValue: string
  tags: string[]
  source: string
}

export interface StopnciiHashRecord {
  /** Unix seconds. */
  lastModtimestamp: number
  signalType: StopnciiSignalType
  hashValue: string
  hashStatus: StopnciiHashStatus
  /** Opaque per-provider case id -> that case's status for this hash. */
  caseNumbers: Record<string, StopnciiHashStatus>
  CSPFeedbacks: StopnciiFeedback[]
}

export interface FetchHashesResponse {
  count: number
  /** "" when there are no more records in this set. */
  nextPageToken: string
  /** Unix seconds: a safe place to resume from; on a set's last page, where the next set starts. */
  nextSetTimestamp: number
  hasMoreRecords: boolean
  hashRecords: StopnciiHashRecord[]
}

/** The provider does not take part in the hash list. */
export class NotParticipatingError extends DomainError {
  constructor() {
    super(
      'This provider does not take part in the hash list, so it cannot read or comment on it. ' +
        'Ask the organisation running Takeback to enable hash-list participation for your provider.',
      403,
    )
  }
}

/** A nextPageToken that was not made by this server for this provider, or was altered. */
export class BadPageTokenError extends DomainError {
  constructor() {
    super('nextPageToken is not valid. Start again from your last nextSetTimestamp, without a nextPageToken.', 400)
  }
}

/** Throw NotParticipatingError unless the provider may read the hash list. */
export function requireParticipant(provider: Pick<ProviderView, 'hashList' | 'disabledAt'>): void {
  if (!provider.hashList || provider.disabledAt !== null) throw new NotParticipatingError()
}

const SIGNAL_OF: Partial<Record<`${HashKind}:${MediaKind}`, StopnciiSignalType>> = {
  'pdq:image': 'ImagePDQ',
  'md5:video': 'VideoMD5',
}

/** The StopNCII signal type of a stored hash, or null when it belongs only in the native export. */
export function signalTypeOf(kind: HashKind, media: MediaKind): StopnciiSignalType | null {
  return SIGNAL_OF[`${kind}:${media}`] ?? null
}

// ---------------------------------------------------------------------------
// Opaque identifiers and signed cursors

function feedKeys(): Buffer[] {
  // Derived, so the link-signing key itself never signs feed material.
  return getEnv().LINK_SIGNING_KEY.map((k) => crypto.createHmac('sha256', k).update('takeback/hash-feed/v1').digest())
}

/**
 * The id a provider sees for a case: HMAC of provider and case, 128 bits,
 * shaped like a UUID as StopNCII's are. Stable for that provider (it can
 * tell that two hashes come from one case), different for every provider,
 * and it says nothing about the case number. It changes if LINK_SIGNING_KEY
 * gets a new newest key.
 */
export function opaqueCaseId(providerId: string, caseId: string, key: Buffer = feedKeys()[0]!): string {
  const hex = crypto.createHmac('sha256', key).update(`case\0${providerId}\0${caseId}`).digest('hex').slice(0, 32)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}

/** How a provider sees another provider in CSPFeedbacks: stable for it, naming no one. */
function opaqueSource(viewerId: string, otherId: string, key: Buffer): string {
  return `csp-${crypto.createHmac('sha256', key).update(`source\0${viewerId}\0${otherId}`).digest('hex').slice(0, 12)}`
}

interface Cursor {
  /** Provider the token was made for. */
  p: string
  /** The set: [s, b) in epoch ms. */
  s: number
  b: number
  /** The last row served: (updated_at, id). */
  u: number
  i: string
}

function sign(payload: string, key: Buffer): string {
  return crypto.createHmac('sha256', key).update(`cursor\0${payload}`).digest('base64url')
}

function encodeCursor(cursor: Cursor): string {
  const payload = Buffer.from(JSON.stringify(cursor)).toString('base64url')
  return `${payload}.${sign(payload, feedKeys()[0]!)}`
}

function decodeCursor(token: string, providerId: string): Cursor {
  const [payload, mac, ...rest] = token.split('.')
  if (!payload || !mac || rest.length > 0) throw new BadPageTokenError()
  const signed = feedKeys().some((key) => {
    const expected = Buffer.from(sign(payload, key))
    const given = Buffer.from(mac)
    return expected.length === given.length && crypto.timingSafeEqual(expected, given)
  })
  if (!signed) throw new BadPageTokenError()
  let cursor: Cursor
  try {
    cursor = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Cursor
  } catch {
    throw new BadPageTokenError()
  }
  if (cursor.p !== providerId || typeof cursor.u !== 'number' || typeof cursor.i !== 'string') throw new BadPageTokenError()
  return cursor
}

/** The end of a set starting now: a settle window back, on a whole second, so StopNCII's second-based timestamps meet it exactly. */
export function setBound(now: number): number {
  return Math.floor((now - FEED_SETTLE_MS) / 1000) * 1000
}

// ---------------------------------------------------------------------------
// Queries

/**
 * Hash rows of cases that consented to sharing, joined as h (case_hash) and
 * c (survivor_case). Withdrawn and disabled hashes, and hashes of deleted
 * cases, stay in: clients must hear about them to delete their copies.
 */
function sharedHashes(db: DB) {
  // CROSS JOIN with the condition in WHERE means the same as the inner join to
  // PostgreSQL, but tells SQLite to loop over case_hash outside: once ANALYZE
  // has run, it would otherwise scan every case and sort the hashes it finds.
  return db
    .selectFrom('case_hash as h')
    .crossJoin('survivor_case as c')
    .whereRef('c.id', '=', 'h.case_id')
    .where('c.share_hashes', '=', 1)
}

// The same expression as the partial index case_hash_stopncii_feed, so both
// engines walk that index in (updated_at, id) order (see its migration for
// why it is a CASE and not an OR).
const STOPNCII_KINDS = sql<SqlBool>`(case when h.kind = 'pdq' and h.media = 'image' then 1 when h.kind = 'md5' and h.media = 'video' then 1 else 0 end) = 1`

/** (updated_at, id) strictly after the cursor position. */
function after(u: number, i: string): Expression<SqlBool> {
  return sql<SqlBool>`(h.updated_at, h.id) > (${u}, ${i})`
}

type RowStatus = StopnciiHashStatus

function rowStatus(status: string, caseState: string): RowStatus {
  if (status === 'disabled' || caseState === 'deleted') return 'Deleted'
  if (status === 'withdrawn' || caseState === 'withdrawn') return 'Withdrawn'
  return 'Active'
}

const RANK: Record<RowStatus, number> = { Active: 0, Withdrawn: 1, Deleted: 2 }

/**
 * The status of a hash value across the cases holding it. A disabled hash
 * (a caseworker found it matches innocent content) is Deleted whoever else
 * holds the same value: it would match the same innocent content for them.
 * Otherwise it stays Active while any case still wants it blocked.
 */
function aggregateStatus(rows: readonly { status: string; rs: RowStatus }[]): RowStatus {
  if (rows.some((r) => r.status === 'disabled')) return 'Deleted'
  return rows.map((r) => r.rs).reduce((a, b) => (RANK[a] <= RANK[b] ? a : b))
}

function parseTags(json: string | null): string[] {
  if (!json) return []
  try {
    const parsed: unknown = JSON.parse(json)
    return Array.isArray(parsed) ? parsed.filter((t): t is string => typeof t === 'string') : []
  } catch {
    return []
  }
}

function chunked<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** Record the provider's fetch; a completed set [startMs, boundMs) that continues what it had moves its checkpoint to boundMs. */
async function recordFetch(db: DB, providerId: string, now: number, completed: { startMs: number; boundMs: number } | null): Promise<void> {
  // One statement, so a page costs one write.
  await db
    .updateTable('provider')
    .set((eb) => ({
      feed_last_fetch_at: now,
      feed_checkpoint: completed
        ? eb
            .case()
            .when(
              eb.or([
                eb('feed_checkpoint', 'is', null),
                eb.and([eb('feed_checkpoint', '>=', completed.startMs), eb('feed_checkpoint', '<', completed.boundMs)]),
              ]),
            )
            .then(completed.boundMs)
            .else(eb.ref('feed_checkpoint'))
            .end()
        : eb.ref('feed_checkpoint'),
    }))
    .where('id', '=', providerId)
    .execute()
}

// ---------------------------------------------------------------------------
// FetchHashes

export interface FetchHashesInput {
  /** Unix seconds; ignored when a page token is given (the token carries its set). */
  startTimestamp: number
  pageSize: number
  nextPageToken: string | null
}

/**
 * One page of the StopNCII feed for `provider`. Each record is the current
 * snapshot of one (signalType, hashValue) across every consenting case that
 * holds it, placed at its latest change; a value changed again after the set
 * began is left to the next set, so it appears once per set.
 */
export async function fetchHashes(db: DB, provider: ProviderView, input: FetchHashesInput, now = Date.now()): Promise<FetchHashesResponse> {
  requireParticipant(provider)
  const keys = feedKeys()
  const key = keys[0]!
  let cursor: Cursor
  if (input.nextPageToken) {
    cursor = decodeCursor(input.nextPageToken, provider.id)
  } else {
    const startMs = input.startTimestamp * 1000
    cursor = { p: provider.id, s: startMs, b: setBound(now), u: startMs - 1, i: '' }
  }

  // The page is read from the feed index alone, in (updated_at, id) order,
  // and rows a record must not come from (a case that does not share, a value
  // changed again later) are dropped here rather than in SQL. Joined in one
  // statement, PostgreSQL misjudges how many rows the partial index holds (it
  // cannot estimate the CASE), hash-joins and sorts the whole rest of the set
  // for every page; SQLite, once ANALYZE has run, starts from survivor_case
  // and sorts too. A short batch reads on until the page is full.
  const rows: FeedRow[] = []
  const holders = new Map<string, Holder>()
  let scan = { u: cursor.u, i: cursor.i }
  while (cursor.s < cursor.b && rows.length <= input.pageSize) {
    const candidates = await db
      .selectFrom('case_hash as h')
      .select(['h.id', 'h.kind', 'h.media', 'h.value', 'h.updated_at'])
      .where(STOPNCII_KINDS)
      .where('h.updated_at', '>=', Math.max(cursor.s, scan.u))
      .where('h.updated_at', '<', cursor.b)
      .where(after(scan.u, scan.i))
      .orderBy('h.updated_at')
      .orderBy('h.id')
      .limit(input.pageSize + 1)
      .execute()
    const latest = new Map<string, Holder>()
    for (const h of await sharedHolders(db, candidates)) {
      holders.set(h.id, h)
      const had = latest.get(valueKey(h))
      if (!had || h.updated_at > had.updated_at || (h.updated_at === had.updated_at && h.id > had.id)) latest.set(valueKey(h), h)
    }
    // Only the latest shared row of each value speaks for it (see the function's doc).
    for (const r of candidates) if (latest.get(valueKey(r))?.id === r.id) rows.push(r)
    const last = candidates[candidates.length - 1]
    if (!last || candidates.length <= input.pageSize) break
    scan = { u: last.updated_at, i: last.id }
  }

  const hasMore = rows.length > input.pageSize
  const page = rows.slice(0, input.pageSize)
  const records = await snapshots(db, provider.id, page, key, [...holders.values()])
  const last = page[page.length - 1]

  await recordFetch(db, provider.id, now, hasMore ? null : { startMs: cursor.s, boundMs: cursor.b })
  log.info({ event: 'feed.fetch', providerId: provider.id, records: records.length, hasMore }, 'hash feed page served')

  return {
    count: records.length,
    nextPageToken: hasMore && last ? encodeCursor({ ...cursor, u: last.updated_at, i: last.id }) : '',
    // HMA stores this after every page as its checkpoint. Mid-set it is the
    // second of the last record served (restarting there repeats a few
    // records, harmlessly, and skips none); at the end of the set, the bound.
    nextSetTimestamp: hasMore && last ? Math.floor(last.updated_at / 1000) : Math.max(cursor.b, cursor.s) / 1000,
    hasMoreRecords: hasMore,
    hashRecords: records,
  }
}

type FeedRow = { id: string; kind: HashKind; media: MediaKind; value: string; updated_at: number }
type Holder = FeedRow & { case_id: string; status: string; state: string }

const valueKey = (r: { kind: string; media: string; value: string }) => `${r.kind}:${r.media}:${r.value}`

/** Every shared row holding one of the rows' values. Looked up by (kind, value), so the case_hash_value index serves it. */
async function sharedHolders(db: DB, rows: readonly FeedRow[]): Promise<Holder[]> {
  const groups = new Map<string, { kind: HashKind; media: MediaKind; values: Set<string> }>()
  for (const r of rows) {
    const g = groups.get(`${r.kind}:${r.media}`) ?? { kind: r.kind, media: r.media, values: new Set<string>() }
    g.values.add(r.value)
    groups.set(`${r.kind}:${r.media}`, g)
  }
  const holders: Holder[] = []
  for (const g of groups.values()) {
    for (const chunk of chunked([...g.values])) {
      holders.push(
        ...(await sharedHashes(db)
          .select(['h.id', 'h.case_id', 'h.kind', 'h.media', 'h.value', 'h.status', 'h.updated_at', 'c.state'])
          .where('h.kind', '=', g.kind)
          .where('h.media', '=', g.media)
          .where('h.value', 'in', chunk)
          .execute()),
      )
    }
  }
  return holders
}

/** Build the records for a page's rows, each the current state of its value, from the shared rows holding those values. */
async function snapshots(db: DB, providerId: string, page: readonly FeedRow[], key: Buffer, allHolders: readonly Holder[]): Promise<StopnciiHashRecord[]> {
  if (page.length === 0) return []
  // Holders of values read past the page's end are not this page's business.
  const onPage = new Set(page.map(valueKey))
  const holders = allHolders.filter((h) => onPage.has(valueKey(h)))
  const feedback = (
    await Promise.all(
      chunked(holders.map((h) => h.id)).map((chunk) =>
        db
          .selectFrom('hash_feedback as f')
          .innerJoin('provider as p', 'p.id', 'f.provider_id')
          .select(['f.hash_id', 'f.provider_id', 'p.name', 'f.value', 'f.tags', 'f.updated_at', 'f.id'])
          .where('f.hash_id', 'in', chunk)
          .execute(),
      ),
    )
  ).flat()

  const holdersOf = new Map<string, Holder[]>()
  for (const h of holders) holdersOf.set(valueKey(h), [...(holdersOf.get(valueKey(h)) ?? []), h])
  const feedbackOf = new Map<string, typeof feedback>()
  for (const f of feedback) feedbackOf.set(f.hash_id, [...(feedbackOf.get(f.hash_id) ?? []), f])

  // A case usually holds many hashes: one HMAC per case, not per row.
  const caseIds = new Map<string, string>()
  const caseIdOf = (caseId: string) => caseIds.get(caseId) ?? caseIds.set(caseId, opaqueCaseId(providerId, caseId, key)).get(caseId)!
  return page.map((row) => {
    const rows = (holdersOf.get(valueKey(row)) ?? []).map((h) => ({ ...h, rs: rowStatus(h.status, h.state) }))
    const caseNumbers: Record<string, RowStatus> = {}
    for (const h of rows) {
      const id = caseIdOf(h.case_id)
      const seen = caseNumbers[id]
      const status = h.status === 'disabled' ? 'Deleted' : h.rs
      caseNumbers[id] = seen === undefined || RANK[status] < RANK[seen] ? status : seen
    }
    // One word per provider: its latest about any case's copy of this value.
    const latest = new Map<string, (typeof feedback)[number]>()
    for (const f of rows.flatMap((h) => feedbackOf.get(h.id) ?? [])) {
      const had = latest.get(f.provider_id)
      if (!had || f.updated_at > had.updated_at || (f.updated_at === had.updated_at && f.id > had.id)) latest.set(f.provider_id, f)
    }
    const CSPFeedbacks = [...latest.values()]
      .sort((a, b) => (a.provider_id < b.provider_id ? -1 : 1))
      .map((f) => ({
        feedbackValue: f.value,
        tags: parseTags(f.tags),
        // A provider recognises its own word by its name; others are opaque.
        source: f.provider_id === providerId ? f.name : opaqueSource(providerId, f.provider_id, key),
      }))
    return {
      lastModtimestamp: Math.floor(row.updated_at / 1000),
      signalType: signalTypeOf(row.kind, row.media)!,
      hashValue: row.value,
      hashStatus: rows.length > 0 ? aggregateStatus(rows) : 'Deleted',
      caseNumbers,
      CSPFeedbacks,
    }
  })
}

// ---------------------------------------------------------------------------
// Native export

export type ExportFormat = 'ndjson' | 'csv'

export interface ExportLine {
  type: HashKind
  value: string
  media: MediaKind
  status: 'active' | 'withdrawn' | 'deleted'
  /** Epoch ms. */
  updatedAt: number
  /** Opaque per-provider case id, as in the StopNCII feed's caseNumbers. */
  case: string
  item: number
  quality: number | null
  /** vPDQ only: the frame's number and time in the video. */
  frame: number | null
  frameMs: number | null
}

export const EXPORT_CSV_COLUMNS = ['type', 'value', 'media', 'status', 'updatedAt', 'case', 'item', 'quality', 'frame', 'frameMs'] as const

function exportStatus(status: string, caseState: string): ExportLine['status'] {
  const s = rowStatus(status, caseState)
  return s === 'Active' ? 'active' : s === 'Withdrawn' ? 'withdrawn' : 'deleted'
}

function csvLine(line: ExportLine): string {
  // Every field is a hex string, a fixed word, a number or empty: no quoting is ever needed.
  return EXPORT_CSV_COLUMNS.map((c) => (line[c] === null ? '' : String(line[c]))).join(',') + '\n'
}

export interface HashExport {
  /** Pass as `since` next time: this export holds every change before it. */
  nextSince: number
  contentType: string
  stream: ReadableStream<Uint8Array>
}

export interface ExportOptions {
  since: number
  format: ExportFormat
  batchSize?: number
  now?: number
  /** Called with the number of rows each time a batch is read from the database. */
  onBatch?: (rows: number) => void
  /** Awaited before each batch is read: the server's signal that the client has taken the last one (AppLoadContext.whenWritable). */
  beforeBatch?: () => Promise<void>
}

/**
 * Every hash kind (PDQ, MD5, SHA-256, vPDQ frames) changed in [since, bound),
 * one line per stored hash, as a stream. The stream pulls one batch from the
 * database only when the reader wants more, so memory stays at one batch
 * whatever the size of the list, and a slow reader slows the queries down
 * rather than filling a buffer.
 */
export async function exportHashes(db: DB, provider: ProviderView, options: ExportOptions): Promise<HashExport> {
  requireParticipant(provider)
  const now = options.now ?? Date.now()
  const batchSize = options.batchSize ?? EXPORT_BATCH_SIZE
  const bound = setBound(now)
  const since = options.since
  const key = feedKeys()[0]!
  const encoder = new TextEncoder()
  let position: { u: number; i: string } = { u: since - 1, i: '' }
  let done = since >= bound

  await recordFetch(db, provider.id, now, null)

  const caseIds = new Map<string, string>()
  const caseIdOf = (caseId: string) => {
    let id = caseIds.get(caseId)
    if (id === undefined) {
      id = opaqueCaseId(provider.id, caseId, key)
      // Bounded: the export may cross millions of cases.
      if (caseIds.size >= 10_000) caseIds.clear()
      caseIds.set(caseId, id)
    }
    return id
  }
  const readBatch = async () => {
    const rows = await sharedHashes(db)
      .select(['h.id', 'h.case_id', 'h.item', 'h.kind', 'h.media', 'h.value', 'h.quality', 'h.frame_number', 'h.frame_ms', 'h.status', 'h.updated_at', 'c.state'])
      .where('h.updated_at', '>=', Math.max(since, position.u))
      .where('h.updated_at', '<', bound)
      .where(after(position.u, position.i))
      .orderBy('h.updated_at')
      .orderBy('h.id')
      .limit(batchSize)
      .execute()
    options.onBatch?.(rows.length)
    const last = rows[rows.length - 1]
    if (last) position = { u: last.updated_at, i: last.id }
    if (rows.length < batchSize) done = true
    return rows.map(
      (r): ExportLine => ({
        type: r.kind,
        value: r.value,
        media: r.media,
        status: exportStatus(r.status, r.state),
        updatedAt: r.updated_at,
        case: caseIdOf(r.case_id),
        item: r.item,
        quality: r.quality,
        frame: r.kind === 'vpdq' ? r.frame_number : null,
        frameMs: r.kind === 'vpdq' ? r.frame_ms : null,
      }),
    )
  }

  const stream = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (options.format === 'csv') controller.enqueue(encoder.encode(EXPORT_CSV_COLUMNS.join(',') + '\n'))
      },
      async pull(controller) {
        try {
          if (!done) {
            // Remix writes each chunk without waiting for the socket; wait
            // here, or a fast database fills memory with the whole export.
            await options.beforeBatch?.()
            const lines = await readBatch()
            if (lines.length > 0) {
              const text = options.format === 'csv' ? lines.map(csvLine).join('') : lines.map((l) => JSON.stringify(l) + '\n').join('')
              controller.enqueue(encoder.encode(text))
            }
          }
          if (done) {
            await recordFetch(db, provider.id, Date.now(), { startMs: since, boundMs: bound })
            controller.close()
          }
        } catch (error) {
          log.error({ event: 'feed.export_failed', providerId: provider.id, err: error }, 'hash export failed part way')
          controller.error(error)
        }
      },
    },
    // Nothing is read ahead: each read by the client causes at most one query.
    { highWaterMark: 0 },
  )

  return {
    nextSince: bound,
    contentType: options.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
    stream,
  }
}
