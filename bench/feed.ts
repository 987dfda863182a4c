/**
 * The hash feed at a million hashes, on SQLite and on PostgreSQL: the native
 * NDJSON export streamed through the built server (records per second, and
 * the server's resident memory before, at its peak and after), the query
 * plans of the FetchHashes page and export batch queries as the model runs
 * them, and FetchHashes pages timed at the start, middle and end of the list
 * (a keyset page costs the same wherever it starts; an OFFSET would not).
 * Prints figures; asserts nothing.
 *
 *   npm run build            # once: the bench serves the build, as `npm start` does
 *   npm run --silent bench:feed [-- --db sqlite|postgres|both] [--hashes 1000000]
 *
 * Targets (issue 7): the export streams 1M hashes in constant memory at
 * 50,000 records per second or more; FetchHashes pages by an index, never OFFSET.
 */
import { parseArgs } from 'node:util'
import {
  analyze,
  benchSecrets,
  captureQueries,
  createProviderKeys,
  explain,
  loadLine,
  machineLines,
  mib,
  openBenchDatabase,
  progress,
  progressDone,
  rssOf,
  seedHashList,
  startServer,
  waitForMatchIndex,
  waitIdle,
  type BenchDatabase,
  type Engine,
} from './support'

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'both' },
    hashes: { type: 'string', default: '1000000' },
  },
})
const ENGINES: Engine[] = values.db === 'both' ? ['sqlite', 'postgres'] : [values.db as Engine]
const HASHES = Number(values.hashes)
if (!ENGINES.every((e) => e === 'sqlite' || e === 'postgres')) fail('--db takes sqlite, postgres or both.')
if (!Number.isInteger(HASHES) || HASHES < 1000) fail('--hashes takes a whole number, at least 1000.')

function fail(message: string): never {
  console.error(message)
  process.exit(2)
}

const PAGE_SIZE = 800
const secrets = benchSecrets()
const { exportHashes, fetchHashes } = await import('../app/models/hash-feed.server')
const { findProvider } = await import('../app/models/provider.server')

/** Long IN lists make a plan unreadable; a plan line is about the access path. */
const shorten = (line: string) =>
  line
    .replace(/\{[^}]{80,}\}/g, '{…}')
    .replace(/\((\?, ){8,}\?\)/g, '(?, …)')
    .replace(/\((\$\d+), (\$\d+, ){8,}(\$\d+)\)/g, '($1, …, $3)')

async function printPlans(database: BenchDatabase, providerId: string, middleSeconds: number): Promise<void> {
  const provider = (await findProvider(database.db, providerId))!
  const page = await captureQueries(database.db, (db) => fetchHashes(db, provider, { startTimestamp: middleSeconds, pageSize: PAGE_SIZE, nextPageToken: null }))
  const batch = await captureQueries(database.db, async (db) => {
    const result = await exportHashes(db, provider, { since: 0, format: 'ndjson' })
    const reader = result.stream.getReader()
    await reader.read()
    await reader.cancel()
  })
  const label = database.engine === 'sqlite' ? 'EXPLAIN QUERY PLAN' : 'EXPLAIN'
  for (const [name, queries] of [
    ['FetchHashes page', page],
    ['export batch', batch],
  ] as const) {
    // The statement that walks the list in (updated_at, id) order; the others look rows up by value or id.
    const walk = queries.find((q) => /order by "h"\."updated_at", "h"\."id"/.test(q.sql))
    if (!walk) throw new Error(`no ordered query found for ${name}`)
    console.log(`\n${label} of the ${name} query:\n\n    ${shorten(walk.sql)}\n`)
    for (const line of await explain(database.db, database.engine, walk)) console.log(`    ${shorten(line)}`)
    const others = queries.filter((q) => q !== walk && q.sql.startsWith('select'))
    for (const other of others.slice(0, 2)) {
      console.log(`\n  and of a lookup it makes:\n\n    ${shorten(other.sql)}\n`)
      for (const line of await explain(database.db, database.engine, other)) console.log(`    ${shorten(line)}`)
    }
  }
}

/** Median of `n` timed FetchHashes pages starting at `startSeconds`. */
async function timePage(base: string, key: string, startSeconds: number, n = 5): Promise<{ ms: number; count: number }> {
  const times: number[] = []
  let count = 0
  for (let i = 0; i < n; i++) {
    const started = performance.now()
    const res = await fetch(`${base}/api/v1/FetchHashes?startTimestamp=${startSeconds}&pageSize=${PAGE_SIZE}`, { headers: { 'x-functions-key': key } })
    const body = (await res.json()) as { count: number }
    times.push(performance.now() - started)
    count = body.count
  }
  times.sort((a, b) => a - b)
  return { ms: times[Math.floor(n / 2)]!, count }
}

async function runEngine(engine: Engine): Promise<void> {
  console.log(`\n## ${engine === 'sqlite' ? 'SQLite' : 'PostgreSQL'}\n`)
  const database = await openBenchDatabase(engine)
  try {
    const seedStart = Date.now()
    const list = await seedHashList(database.db, engine, HASHES)
    const statistics = await analyze(database)
    console.log(`seeded ${list.hashes.toLocaleString('en')} PDQ hashes in ${list.cases.toLocaleString('en')} sharing cases in ${((Date.now() - seedStart) / 1000).toFixed(0)} s (${statistics})`)
    const [provider] = await createProviderKeys(database.db, 1)
    const oldest = Math.floor(list.oldest / 1000)
    const newest = Math.floor(list.newest / 1000)
    await printPlans(database, provider!.id, Math.floor((oldest + newest) / 2))

    const server = await startServer(database, secrets)
    try {
      const base = server.baseURL
      // The match index loads the list when the server starts; let it finish so it does not share the CPU with the export.
      await waitForMatchIndex(base, provider!.key)
      progressDone()
      await waitIdle(server.pid)

      console.log('\nFetchHashes pages (median of 5), by where in the list they start:\n')
      for (const [where, start] of [
        ['start', oldest],
        ['middle', Math.floor((oldest + newest) / 2)],
        ['end (last 800)', newest - Math.ceil(((newest - oldest) * PAGE_SIZE) / HASHES)],
      ] as const) {
        const page = await timePage(base, provider!.key, start)
        console.log(`    ${where}: ${page.ms.toFixed(0)} ms for ${page.count} records`)
      }

      await waitIdle(server.pid)
      const before = rssOf(server.pid)
      let peak = before
      const sampler = setInterval(() => (peak = Math.max(peak, rssOf(server.pid))), 200)
      const started = performance.now()
      const res = await fetch(`${base}/api/v1/hashes/export?since=0&format=ndjson`, { headers: { authorization: `Bearer ${provider!.key}` } })
      if (res.status !== 200 || !res.body) throw new Error(`export answered ${res.status}: ${await res.text()}`)
      let records = 0
      let bytes = 0
      let lastReport = started
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        bytes += chunk.byteLength
        // Counted natively: the client shares the CPU with the server, so it must cost little.
        const buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
        for (let at = buffer.indexOf(10); at !== -1; at = buffer.indexOf(10, at + 1)) records++
        const now = performance.now()
        if (now - lastReport > 1000) {
          lastReport = now
          progress(`export: ${records.toLocaleString('en')} records, server RSS ${mib(rssOf(server.pid))}`)
        }
      }
      const seconds = (performance.now() - started) / 1000
      progressDone()
      clearInterval(sampler)
      const after = rssOf(server.pid)
      peak = Math.max(peak, after)
      console.log(
        `\nexport of ${records.toLocaleString('en')} records (${mib(bytes)} of NDJSON) in ${seconds.toFixed(1)} s: ` +
          `${Math.round(records / seconds).toLocaleString('en')} records/s (target 50,000)`,
      )
      console.log(`server RSS: before ${mib(before)}, peak ${mib(peak)} (+${mib(peak - before)}), after ${mib(after)} (sampled every 200 ms)`)
    } finally {
      await server.stop()
    }
  } finally {
    await database.stop()
  }
}

console.log('# Feed at scale (bench/feed.ts)\n')
for (const line of machineLines()) console.log(line)
console.log(loadLine('start'))
for (const engine of ENGINES) await runEngine(engine)
console.log(`\n${loadLine('end')}`)
