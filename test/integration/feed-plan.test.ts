/**
 * The hash feed pages by index, never by OFFSET or a sort: the statements
 * that walk the list for FetchHashes and for the native export, captured from
 * the model functions themselves, are explained by the database, and their
 * plans must read case_hash through the feed indexes in (updated_at, id)
 * order, with no full scan and no sort step. Checked before and after
 * ANALYZE, since planner statistics changed the plan on both engines.
 */
import crypto from 'node:crypto'
import { CompiledQuery, type Insertable, type Kysely, type KyselyPlugin, type RootOperationNode } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import type { CaseHashTable, Database, SurvivorCaseTable } from '../../db/schema'
import { getConnection, getDb } from '../../app/lib/db.server'
import { newId } from '../../app/lib/ids.server'
import { exportHashes, fetchHashes } from '../../app/models/hash-feed.server'
import { createApiKey, createProvider, findProvider, type ProviderView } from '../../app/models/provider.server'

type DB = Kysely<Database>
const DAY = 24 * 60 * 60 * 1000
const CASES = 1500
const start = Date.now() - 31 * DAY

/** Record the queries `fn` runs through the db, compiled exactly as they were sent. */
async function captured(fn: (db: DB) => Promise<unknown>): Promise<CompiledQuery[]> {
  const nodes: { node: RootOperationNode; queryId: Parameters<KyselyPlugin['transformQuery']>[0]['queryId'] }[] = []
  const recorder: KyselyPlugin = {
    transformQuery(args) {
      nodes.push({ node: args.node, queryId: args.queryId })
      return args.node
    },
    transformResult: async (args) => args.result,
  }
  await fn(getDb().withPlugin(recorder))
  return nodes.map(({ node, queryId }) => getDb().getExecutor().compileQuery(node, queryId))
}

/** The statement that walks case_hash in feed order. */
function walk(queries: CompiledQuery[]): CompiledQuery {
  const found = queries.filter((q) => /order by "h"\."updated_at", "h"\."id"/.test(q.sql))
  expect(found.length).toBeGreaterThan(0)
  return found[0]!
}

async function plan(query: CompiledQuery): Promise<string[]> {
  if (getConnection().engine === 'sqlite') {
    const result = await getDb().executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]))
    return result.rows.map((r) => r.detail)
  }
  const result = await getDb().executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`explain ${query.sql}`, [...query.parameters]))
  return result.rows.map((r) => r['QUERY PLAN'])
}

/** The plan reads case_hash through `index`, and never scans a whole table or sorts. */
function expectIndexWalk(lines: string[], index: string): void {
  const text = lines.join('\n')
  if (getConnection().engine === 'sqlite') {
    expect(text, text).toMatch(new RegExp(`SEARCH h USING (COVERING )?INDEX ${index} \\(updated_at>\\? AND updated_at<\\?\\)`))
    expect(text, text).not.toMatch(/TEMP B-TREE/)
    expect(text, text).not.toMatch(/^SCAN /m)
  } else {
    expect(text, text).toMatch(new RegExp(`Index (Only )?Scan using ${index} on case_hash h`))
    expect(text, text).not.toMatch(/Sort/)
    expect(text, text).not.toMatch(/Seq Scan/)
  }
}

const hex = (bytes: number) => crypto.randomBytes(bytes).toString('hex')

/**
 * 1,500 cases of 40 hash rows each (8 pictures: PDQ, MD5, SHA-256; 2 videos:
 * MD5, SHA-256 and 6 vPDQ frames), one case in ten not sharing, changed over
 * 30 days: 60,000 rows, enough that a planner weighs an index walk against a
 * scan and sort as it would on a real list.
 */
async function seed(db: DB): Promise<void> {
  const cases: Insertable<SurvivorCaseTable>[] = []
  const hashes: Insertable<CaseHashTable>[] = []
  for (let c = 0; c < CASES; c++) {
    const id = newId()
    const at = start + Math.floor((c * 30 * DAY) / CASES)
    cases.push({
      id,
      case_number: `PLAN-${c}`,
      secret_hash: null,
      secret_updated_at: null,
      contact_ciphertext: null,
      contact_updated_at: null,
      language: 'en',
      requester: 'self_adult',
      share_hashes: c % 10 === 0 ? 0 : 1,
      notices_consent: 0,
      signature_ciphertext: null,
      created_at: at,
      updated_at: at,
      closed_at: null,
      withdrawn_at: null,
      deleted_at: null,
    })
    const row = (item: number, media: 'image' | 'video', kind: CaseHashTable['kind'], value: string, k: number, frame: number | null = null) => ({
      id: newId(),
      case_id: id,
      item,
      media,
      kind,
      value,
      quality: kind === 'pdq' || kind === 'vpdq' ? 80 : null,
      frame_number: frame,
      frame_ms: frame === null ? null : frame * 1000,
      created_at: at + k,
      updated_at: at + k,
      withdrawn_at: null,
      disabled_at: null,
    })
    let k = 0
    for (let p = 1; p <= 8; p++) {
      hashes.push(row(p, 'image', 'pdq', hex(32), k++), row(p, 'image', 'md5', hex(16), k++), row(p, 'image', 'sha256', hex(32), k++))
    }
    for (let v = 9; v <= 10; v++) {
      hashes.push(row(v, 'video', 'md5', hex(16), k++), row(v, 'video', 'sha256', hex(32), k++))
      for (let f = 0; f < 6; f++) hashes.push(row(v, 'video', 'vpdq', hex(32), k++, f))
    }
  }
  for (let i = 0; i < cases.length; i += 500) await db.insertInto('survivor_case').values(cases.slice(i, i + 500)).execute()
  for (let i = 0; i < hashes.length; i += 800) await db.insertInto('case_hash').values(hashes.slice(i, i + 800)).execute()
}

let provider: ProviderView

beforeAll(async () => {
  await seed(getDb())
  const { id } = await createProvider(
    getDb(),
    { name: 'Plan Host', domains: ['plan-host.net'], noticeEmails: ['abuse@plan-host.net'], hashList: true },
    { actorType: 'staff', actorId: 'staff-1' },
  )
  await createApiKey(getDb(), id, { actorType: 'staff', actorId: 'staff-1' })
  provider = (await findProvider(getDb(), id))!
}, 120_000)

async function feedPagePlan(startMs: number): Promise<string[]> {
  return plan(walk(await captured((db) => fetchHashes(db, provider, { startTimestamp: Math.floor(startMs / 1000), pageSize: 800, nextPageToken: null }))))
}

async function exportBatchPlan(since: number): Promise<string[]> {
  const queries = await captured(async (db) => {
    const result = await exportHashes(db, provider, { since, format: 'ndjson' })
    const reader = result.stream.getReader()
    const first = await reader.read()
    expect(first.done).toBe(false)
    await reader.cancel()
  })
  return plan(walk(queries))
}

describe.each([
  ['without planner statistics', false],
  ['after ANALYZE', true],
])('feed query plans %s', (_label, analyze) => {
  beforeAll(async () => {
    if (analyze) await getDb().executeQuery(CompiledQuery.raw('analyze'))
  })

  it('walks the StopNCII partial index for a FetchHashes page, from the start and from the middle of the list', async () => {
    for (const at of [start, start + 15 * DAY]) expectIndexWalk(await feedPagePlan(at), 'case_hash_stopncii_feed')
  })

  // PostgreSQL always has statistics in service (autovacuum runs ANALYZE as
  // rows change); before its first ANALYZE of a freshly loaded table it takes
  // the table for a few rows and loops over cases instead, which is why the
  // bench and docs/performance.md say to ANALYZE after a bulk import.
  // SQLite has no statistics unless someone runs ANALYZE, so both states count there.
  it.runIf(analyze || process.env.TAKEBACK_TEST_DB === 'sqlite')('walks the feed index for a batch of the native export, from the start and from the middle of the list', async () => {
    for (const at of [0, start + 15 * DAY]) expectIndexWalk(await exportBatchPlan(at), 'case_hash_feed')
  })
})

describe('the plan checks themselves', () => {
  it('would catch a walk of the list that sorts or scans instead', async () => {
    // The same statement with its ORDER BY on an expression no index holds must fail the check.
    const query = walk(await captured((db) => fetchHashes(db, provider, { startTimestamp: Math.floor(start / 1000), pageSize: 800, nextPageToken: null })))
    const sorted = CompiledQuery.raw(query.sql.replace('order by "h"."updated_at", "h"."id"', 'order by "h"."value"'), [...query.parameters])
    const lines = await plan(sorted)
    expect(() => expectIndexWalk(lines, 'case_hash_stopncii_feed')).toThrow()
  })
})
