/**
 * The match index of this server instance: every active list hash held in
 * memory, so `POST /api/v1/match` answers without touching the database.
 *
 * "Active list hashes" are the hashes providers may use: case_hash.status
 * 'active', on a case that is open or closed (not withdrawn or deleted) and
 * whose survivor agreed to share hashes; and, as in the feed, no case holds
 * the same value disabled (a caseworker found it matches innocent content). PDQ radius search runs on a PdqIndex;
 * MD5 and SHA-256 are exact, in Sets of their raw bytes.
 *
 * vPDQ frames are queryable as `pdq`. Each frame hash is the PDQ of one
 * sampled frame, the same 256-bit hash with the same distance, and a still
 * from a video (a thumbnail, a screenshot) is a common way an abusive video is
 * reposted. A match on a frame is reported with type `vpdq`, so the provider
 * knows it matched part of a video; a value held both as a picture's PDQ and
 * as a frame is reported once for each.
 *
 * The database is the source of truth. The index keeps its own refresh point
 * (a keyset position over (updated_at, id)) and reads what changed since:
 * - case_hash rows, by case_hash.updated_at: every change a provider must see
 *   (added, withdrawn, disabled, re-enabled) bumps it;
 * - survivor_case rows, by survivor_case.updated_at: a deleted case or
 *   withdrawn consent takes its hashes out even when a change forgets to bump
 *   the hash rows.
 * For every hash value touched, whether it is in the list is asked of the
 * database again (another case may hold the same value), so applying a change
 * twice does no harm and instances converge on the same contents. Each read
 * starts OVERLAP_MS before the refresh point, so a row committed late with an
 * earlier timestamp (a long transaction, another instance's clock) is still
 * seen; rows already applied at that same updated_at are skipped. Writers
 * stamp a row when their work starts, and under overload (argon2 queued, a
 * convoy on the audit chain's lock) a row can commit far later than that, so
 * every CATCH_UP_EVERY_MS a refresh reads CATCH_UP_MS back instead: a late
 * row is then missing for seconds, never for good.
 *
 * Memory per PDQ value: the PdqIndex's ~64 bytes plus 33 here (the 32 bytes,
 * to give the value back, and a byte saying picture and/or frame). Values are
 * looked up by an exact (distance 0) search rather than a Map, which would
 * cost more than the index itself.
 */
import type { Kysely } from 'kysely'
import type { Database, HashKind } from '../../db/schema'
import { getDb } from '../lib/db.server'
import { log } from '../lib/log.server'
import { singleton } from '../lib/singleton.server'
import { PDQ_MAX_RADIUS, PdqIndex, pdqBytesToHex, pdqHexToBytes } from './pdq-index'

type DB = Kysely<Database>

export type MatchType = 'pdq' | 'md5' | 'sha256'
export interface MatchQuery {
  type: MatchType
  /** Hex; upper or lower case. */
  value: string
}
export interface Match {
  type: HashKind
  value: string
  distance: number
}
export interface MatchResult {
  type: MatchType
  value: string
  matches: Match[]
  /** Present, and true, when more than MAX_MATCHES_PER_HASH list hashes matched. */
  truncated?: true
}

/** Matches returned per query hash, nearest first: a near-flat query could otherwise match a great many. */
export const MAX_MATCHES_PER_HASH = 100
/** How far back each refresh reads before its refresh point. */
export const OVERLAP_MS = 10_000
/** How far back a catch-up refresh reads; rows applied since are skipped, so it costs one indexed range scan. */
export const CATCH_UP_MS = 5 * 60_000
const CATCH_UP_EVERY_MS = 15_000
const PAGE = 2_000
const VALUES_PER_QUERY = 500
const LISTED_CASE_STATES = ['open', 'closed'] as const

/** Bits of `pdqKinds`: which kinds of list hash hold a PDQ value. */
const PICTURE = 1
const FRAME = 2

interface Cursor {
  updatedAt: number
  id: string
}

const hexToBinary = (hex: string) => Buffer.from(hex, 'hex').toString('latin1')

function chunked<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** Marks in MatchIndex.slots: a slot never used, and a slot whose id was taken out (probes go past it). */
const SLOT_EMPTY = -1
const SLOT_GONE = -2

/** Where a PDQ value's probe starts: its first 32 bits, mixed. */
function slotStart(bytes: Uint8Array, at: number): number {
  const word = (bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!
  return Math.imul(word ^ (word >>> 16), 0x45d9f3b) >>> 0
}

/** The position after a page: its last row, or `from` when the page is empty. */
function afterCursor(rows: readonly { updated_at: number; id: string }[], from: Cursor | null): Cursor | null {
  const last = rows[rows.length - 1]
  if (!last) return from
  return { updatedAt: last.updated_at, id: last.id }
}

export class MatchIndex {
  private readonly pdq = new PdqIndex()
  /** Per PDQ id: its 32 bytes, and PICTURE | FRAME. Ids are reused through `freeIds`. */
  private pdqBytes = new Uint8Array(32 * 1024)
  private pdqKinds = new Uint8Array(1024)
  private nextId = 0
  private readonly freeIds: number[] = []
  /** Exact value -> id (see pdqIdOf): ids, SLOT_EMPTY or SLOT_GONE; a power of two long. */
  private slots = new Int32Array(2048).fill(SLOT_EMPTY)
  /** Slots holding an id or a tombstone. */
  private slotsUsed = 0
  private readonly md5 = new Set<string>()
  private readonly sha256 = new Set<string>()
  private changesSinceCompact = 0

  private hashCursor: Cursor | null = null
  private caseCursor: Cursor | null = null
  private lastCatchUpAt = 0
  /** Rows applied within the catch-up window, by id: the updated_at applied. */
  private readonly recentHashes = new Map<string, number>()
  private readonly recentCases = new Map<string, number>()

  private loaded: Promise<void> | null = null
  private chain: Promise<void> = Promise.resolve()
  private timer: NodeJS.Timeout | undefined
  private stopped = false

  constructor(readonly db: DB) {}

  /** How many distinct values each part holds. */
  get sizes(): { pdq: number; md5: number; sha256: number } {
    return { pdq: this.pdq.size, md5: this.md5.size, sha256: this.sha256.size }
  }

  /** Resolves once the first load has finished (starting it if need be). */
  ready(): Promise<void> {
    this.loaded ??= this.enqueue(() => this.load()).catch((error: unknown) => {
      // Try again on the next call (the database may be back); start afresh.
      this.loaded = null
      throw error
    })
    return this.loaded
  }

  /**
   * Load if not yet loaded, then apply every change committed before this
   * call. For tests, and for anyone who must read their own write.
   */
  async ensureFresh(): Promise<void> {
    await this.ready()
    await this.enqueue(() => this.refresh())
  }

  /** Refresh every `intervalMs` on an unref'd timer, so it never keeps the process alive. */
  start(intervalMs: number): void {
    if (this.timer || this.stopped) return
    void this.ready().catch((error: unknown) => log.error({ error: errorText(error) }, 'match index: first load failed'))
    let inFlight = false
    this.timer = setInterval(() => {
      // A slow refresh (a burst of changes) is not queued behind by more ticks.
      if (!this.loaded || inFlight) return
      inFlight = true
      this.enqueue(() => this.refresh())
        .catch((error: unknown) => log.warn({ error: errorText(error) }, 'match index: refresh failed'))
        .finally(() => {
          inFlight = false
        })
    }, intervalMs)
    this.timer.unref()
  }

  /** Stop refreshing and wait for a refresh in flight. */
  async stop(): Promise<void> {
    this.stopped = true
    clearInterval(this.timer)
    this.timer = undefined
    await this.chain.catch(() => undefined)
  }

  /** Answer match queries, in query order, from memory. Call ready() first. */
  match(queries: readonly MatchQuery[], maxDistance: number = PDQ_MAX_RADIUS): MatchResult[] {
    const cache = new Map<string, Omit<MatchResult, 'type' | 'value'>>()
    return queries.map((q) => {
      const value = q.value.toLowerCase()
      const key = `${q.type}:${value}`
      let found = cache.get(key)
      if (!found) {
        found = this.matchOne(q.type, value, maxDistance)
        cache.set(key, found)
      }
      return { type: q.type, value, ...found }
    })
  }

  private matchOne(type: MatchType, value: string, maxDistance: number): Omit<MatchResult, 'type' | 'value'> {
    if (type !== 'pdq') {
      const set = type === 'md5' ? this.md5 : this.sha256
      return { matches: set.has(hexToBinary(value)) ? [{ type, value, distance: 0 }] : [] }
    }
    const matches: Match[] = []
    let truncated = false
    for (const hit of this.pdq.search(pdqHexToBytes(value), maxDistance)) {
      const kinds = this.pdqKinds[hit.id]!
      const hex = pdqBytesToHex(this.pdqBytes.subarray(hit.id * 32, hit.id * 32 + 32))
      for (const [bit, kind] of [
        [PICTURE, 'pdq'],
        [FRAME, 'vpdq'],
      ] as const) {
        if (!(kinds & bit)) continue
        if (matches.length === MAX_MATCHES_PER_HASH) {
          truncated = true
          break
        }
        matches.push({ type: kind, value: hex, distance: hit.distance })
      }
      if (truncated) break
    }
    return truncated ? { matches, truncated: true } : { matches }
  }

  // -------------------------------------------------------------------------
  // Loading and refreshing

  /** Run `task` after every earlier one: one load or refresh at a time per instance. */
  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.chain.then(task)
    this.chain = run.catch(() => undefined)
    return run
  }

  /** The first load: every row in (updated_at, id) order, keeping the active list hashes. */
  private async load(): Promise<void> {
    const touched = new Touched()
    let from: Cursor | null = null
    for (;;) {
      const rows = await this.db
        .selectFrom('case_hash')
        .innerJoin('survivor_case', 'survivor_case.id', 'case_hash.case_id')
        .select([
          'case_hash.id',
          'case_hash.kind',
          'case_hash.value',
          'case_hash.status',
          'case_hash.updated_at',
          'survivor_case.state',
          'survivor_case.share_hashes',
        ])
        .$if(from !== null, (qb) =>
          qb.where((eb) =>
            // The leading >= lets the index seek to the position; without it
            // both engines read from the start of the list for every page.
            eb.and([
              eb('case_hash.updated_at', '>=', from!.updatedAt),
              eb.or([
                eb('case_hash.updated_at', '>', from!.updatedAt),
                eb.and([eb('case_hash.updated_at', '=', from!.updatedAt), eb('case_hash.id', '>', from!.id)]),
              ]),
            ]),
          ),
        )
        .orderBy('case_hash.updated_at')
        .orderBy('case_hash.id')
        .limit(PAGE)
        .execute()
      for (const row of rows) {
        const listed = row.status === 'active' && row.share_hashes === 1 && (LISTED_CASE_STATES as readonly string[]).includes(row.state)
        if (listed) this.put(row.kind, row.value, true)
        // A disabled value is out whoever holds it, and a row that left the
        // list while the load ran may have been added earlier in the load
        // under an older timestamp: ask about both again at the end.
        if (row.status === 'disabled' || (!listed && this.holds(row.kind, row.value))) touched.add(row.kind, row.value)
        // Not noted in recentHashes (that would be a map of every row): the
        // first refresh reads the last CATCH_UP_MS again and asks about those.
      }
      from = afterCursor(rows, from)
      if (rows.length < PAGE) break
    }
    this.hashCursor = from
    this.caseCursor = await this.latestCase()
    await this.apply(touched)
    this.prune()
    this.pdq.compact()
    this.changesSinceCompact = 0
    log.info({ ...this.sizes }, 'match index: loaded')
  }

  private async latestCase(): Promise<Cursor | null> {
    const row = await this.db
      .selectFrom('survivor_case')
      .select(['id', 'updated_at'])
      .orderBy('updated_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst()
    return row ? { updatedAt: row.updated_at, id: row.id } : null
  }

  /** Apply what changed since the refresh point. */
  private async refresh(): Promise<void> {
    if (this.stopped) return
    const touched = new Touched()
    const startedAt = Date.now()
    const catchUp = startedAt - this.lastCatchUpAt >= CATCH_UP_EVERY_MS
    if (catchUp) this.lastCatchUpAt = startedAt
    const back = catchUp ? CATCH_UP_MS : OVERLAP_MS

    // Hash rows.
    let from: Cursor | null = this.hashCursor ? { updatedAt: this.hashCursor.updatedAt - back, id: '' } : null
    for (;;) {
      const rows = await this.db
        .selectFrom('case_hash')
        .select(['id', 'kind', 'value', 'updated_at'])
        .$if(from !== null, (qb) =>
          qb.where((eb) =>
            eb.and([
              eb('updated_at', '>=', from!.updatedAt),
              eb.or([eb('updated_at', '>', from!.updatedAt), eb.and([eb('updated_at', '=', from!.updatedAt), eb('id', '>', from!.id)])]),
            ]),
          ),
        )
        .orderBy('updated_at')
        .orderBy('id')
        .limit(PAGE)
        .execute()
      for (const row of rows) {
        if (this.recentHashes.get(row.id) === row.updated_at) continue
        this.recentHashes.set(row.id, row.updated_at)
        touched.add(row.kind, row.value)
      }
      from = afterCursor(rows, from)
      if (from && (!this.hashCursor || from.updatedAt > this.hashCursor.updatedAt || (from.updatedAt === this.hashCursor.updatedAt && from.id > this.hashCursor.id))) {
        this.hashCursor = from
      }
      if (rows.length < PAGE) break
    }

    // Cases whose deletion or consent may have changed without their hash rows.
    let caseFrom: Cursor | null = this.caseCursor ? { updatedAt: this.caseCursor.updatedAt - back, id: '' } : null
    for (;;) {
      const cases = await this.db
        .selectFrom('survivor_case')
        .select(['id', 'updated_at', 'state', 'share_hashes'])
        .$if(caseFrom !== null, (qb) =>
          qb.where((eb) =>
            eb.and([
              eb('updated_at', '>=', caseFrom!.updatedAt),
              eb.or([
                eb('updated_at', '>', caseFrom!.updatedAt),
                eb.and([eb('updated_at', '=', caseFrom!.updatedAt), eb('id', '>', caseFrom!.id)]),
              ]),
            ]),
          ),
        )
        .orderBy('updated_at')
        .orderBy('id')
        .limit(PAGE)
        .execute()
      const changed = cases.filter((c) => this.recentCases.get(c.id) !== c.updated_at)
      for (const c of changed) this.recentCases.set(c.id, c.updated_at)
      await this.checkCases(changed, touched)
      caseFrom = afterCursor(cases, caseFrom)
      if (caseFrom && (!this.caseCursor || caseFrom.updatedAt > this.caseCursor.updatedAt || (caseFrom.updatedAt === this.caseCursor.updatedAt && caseFrom.id > this.caseCursor.id))) {
        this.caseCursor = caseFrom
      }
      if (cases.length < PAGE) break
    }

    await this.apply(touched)
    this.prune()
    if (this.changesSinceCompact > Math.max(20_000, this.pdq.size / 20)) {
      // Search is right without it; folding the changes in keeps it fast.
      this.pdq.compact()
      this.changesSinceCompact = 0
    }
  }

  /**
   * For changed cases, the values whose membership may now be wrong: a listed
   * case's active value that is missing, or an unlisted case's value that is
   * held (another case may still hold it, so the database decides).
   */
  private async checkCases(cases: { id: string; state: string; share_hashes: number }[], touched: Touched): Promise<void> {
    if (cases.length === 0) return
    const listed = new Map(cases.map((c) => [c.id, c.share_hashes === 1 && (LISTED_CASE_STATES as readonly string[]).includes(c.state)]))
    for (const ids of chunked([...listed.keys()], VALUES_PER_QUERY)) {
      const rows = await this.db.selectFrom('case_hash').select(['case_id', 'kind', 'value', 'status']).where('case_id', 'in', ids).execute()
      for (const row of rows) {
        const held = this.holds(row.kind, row.value)
        const shouldHold = listed.get(row.case_id) === true && row.status === 'active'
        if (shouldHold ? !held : held) touched.add(row.kind, row.value)
      }
    }
  }

  /** Ask the database which touched values are active list hashes, and make memory agree. */
  private async apply(touched: Touched): Promise<void> {
    for (const [group, kinds] of [
      ['pdq', ['pdq', 'vpdq']],
      ['md5', ['md5']],
      ['sha256', ['sha256']],
    ] as const) {
      const values = [...touched.values[group]]
      for (const part of chunked(values, VALUES_PER_QUERY)) {
        const rows = await this.db
          .selectFrom('case_hash')
          .innerJoin('survivor_case', 'survivor_case.id', 'case_hash.case_id')
          .select(['case_hash.kind', 'case_hash.value'])
          .where('case_hash.kind', 'in', kinds)
          .where('case_hash.value', 'in', part)
          .where('case_hash.status', '=', 'active')
          .where('survivor_case.state', 'in', LISTED_CASE_STATES)
          .where('survivor_case.share_hashes', '=', 1)
          .groupBy(['case_hash.kind', 'case_hash.value'])
          .execute()
        const disabled = await this.db
          .selectFrom('case_hash')
          .select(['kind', 'value'])
          .where('kind', 'in', kinds)
          .where('value', 'in', part)
          .where('status', '=', 'disabled')
          .groupBy(['kind', 'value'])
          .execute()
        const active = new Set(rows.map((r) => `${r.kind}:${r.value}`))
        // As in the feed: a value a caseworker disabled matches innocent
        // content, so it is out whoever else holds it.
        for (const r of disabled) active.delete(`${r.kind}:${r.value}`)
        for (const value of part) {
          for (const kind of kinds) this.put(kind, value, active.has(`${kind}:${value}`))
        }
      }
    }
  }

  /** Forget applied rows that no refresh will read again. */
  private prune(): void {
    for (const [map, cursor] of [
      [this.recentHashes, this.hashCursor],
      [this.recentCases, this.caseCursor],
    ] as const) {
      if (!cursor) continue
      const oldest = cursor.updatedAt - CATCH_UP_MS
      for (const [id, updatedAt] of map) if (updatedAt < oldest) map.delete(id)
    }
  }

  // -------------------------------------------------------------------------
  // Memory

  private holds(kind: HashKind, value: string): boolean {
    if (kind === 'md5') return this.md5.has(hexToBinary(value))
    if (kind === 'sha256') return this.sha256.has(hexToBinary(value))
    const id = this.pdqIdOf(value)
    return id !== null && (this.pdqKinds[id]! & (kind === 'pdq' ? PICTURE : FRAME)) !== 0
  }

  /**
   * The id holding exactly this PDQ value, or null. Not a radius-0 search of
   * the PDQ index: until the next compact() its newest entries sit in a list
   * that is scanned in full, so the first load (every hash put in turn, each
   * first looked up) took time quadratic in the list, and at a million hashes
   * never ended. A hash table over the ids instead: open addressing keyed by
   * the hash's first 32 bits (PDQ bits are close to uniform), compared in
   * full against pdqBytes, about 8 bytes per hash. Written here because the
   * keys already live in pdqBytes; a Map of hex strings would add some
   * 100 bytes per hash.
   */
  private pdqIdOf(value: string): number | null {
    const bytes = pdqHexToBytes(value)
    const mask = this.slots.length - 1
    for (let i = slotStart(bytes, 0) & mask; ; i = (i + 1) & mask) {
      const id = this.slots[i]!
      if (id === SLOT_EMPTY) return null
      if (id >= 0 && this.sameBytes(id, bytes)) return id
    }
  }

  private sameBytes(id: number, bytes: Uint8Array): boolean {
    const at = id * 32
    for (let b = 0; b < 32; b++) if (this.pdqBytes[at + b] !== bytes[b]) return false
    return true
  }

  /** Enter `id`, whose bytes are in pdqBytes and not yet in the table. */
  private slotIn(id: number): void {
    // Live entries and tombstones together stay under half the table.
    if ((this.slotsUsed + 1) * 2 > this.slots.length) this.reslot()
    const mask = this.slots.length - 1
    let i = slotStart(this.pdqBytes, id * 32) & mask
    while (this.slots[i]! >= 0) i = (i + 1) & mask
    if (this.slots[i] === SLOT_EMPTY) this.slotsUsed++
    this.slots[i] = id
  }

  /** Take `id` out; its bytes are still in pdqBytes. */
  private slotOut(id: number): void {
    const mask = this.slots.length - 1
    for (let i = slotStart(this.pdqBytes, id * 32) & mask; this.slots[i] !== SLOT_EMPTY; i = (i + 1) & mask) {
      if (this.slots[i] === id) {
        this.slots[i] = SLOT_GONE
        return
      }
    }
  }

  /** A new table without tombstones, twice the size when more than a quarter of it is live. */
  private reslot(): void {
    const old = this.slots
    let live = 0
    for (const id of old) if (id >= 0) live++
    this.slots = new Int32Array(live * 4 > old.length ? old.length * 2 : old.length).fill(SLOT_EMPTY)
    this.slotsUsed = 0
    for (const id of old) if (id >= 0) this.slotIn(id)
  }

  /** Make `kind`/`value` present or absent. */
  private put(kind: HashKind, value: string, present: boolean): void {
    if (kind === 'md5' || kind === 'sha256') {
      const set = kind === 'md5' ? this.md5 : this.sha256
      if (present) set.add(hexToBinary(value))
      else set.delete(hexToBinary(value))
      return
    }
    const bit = kind === 'pdq' ? PICTURE : FRAME
    let id = this.pdqIdOf(value)
    if (id === null) {
      if (!present) return
      id = this.newPdqId()
      this.pdqBytes.set(pdqHexToBytes(value), id * 32)
      this.pdqKinds[id] = bit
      this.slotIn(id)
      this.pdq.add(id, value)
      this.changesSinceCompact++
      return
    }
    const kinds = present ? this.pdqKinds[id]! | bit : this.pdqKinds[id]! & ~bit
    this.pdqKinds[id] = kinds
    if (kinds === 0) {
      this.pdq.remove(id)
      this.slotOut(id)
      this.freeIds.push(id)
      this.changesSinceCompact++
    }
  }

  private newPdqId(): number {
    const reused = this.freeIds.pop()
    if (reused !== undefined) return reused
    const id = this.nextId++
    if (id >= this.pdqKinds.length) {
      const kinds = new Uint8Array(this.pdqKinds.length * 2)
      kinds.set(this.pdqKinds)
      this.pdqKinds = kinds
      const bytes = new Uint8Array(this.pdqBytes.length * 2)
      bytes.set(this.pdqBytes)
      this.pdqBytes = bytes
    }
    return id
  }
}

/** Hash values a refresh must ask the database about, by the part of the index they live in. */
class Touched {
  readonly values = { pdq: new Set<string>(), md5: new Set<string>(), sha256: new Set<string>() }
  add(kind: HashKind, value: string): void {
    this.values[kind === 'vpdq' ? 'pdq' : kind].add(value)
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * This process's match index over `db` (the app's database unless given).
 * One per process, like the database pool; a different database (a test file
 * with its own) gets a new one.
 */
export function getMatchIndex(db: DB = getDb()): MatchIndex {
  const store = singleton('match-index', () => ({ index: new MatchIndex(db) }))
  if (store.index.db !== db) {
    void store.index.stop()
    store.index = new MatchIndex(db)
  }
  return store.index
}

/** Load the index and keep it fresh every `intervalMs`; for the server at start. */
export function startMatchIndex(intervalMs: number, db: DB = getDb()): MatchIndex {
  const index = getMatchIndex(db)
  index.start(intervalMs)
  return index
}
