/**
 * How fast and how small the in-memory PDQ index is (app/matching/pdq-index.ts)
 * against a brute-force scan over the same hashes, at 1M and 10M random PDQ
 * hashes with planted near-duplicates. Prints figures and ratios; asserts
 * nothing.
 *
 *   npm run bench:matching [-- --sizes 100000,1000000]
 *
 * The targets (issue 6): 100% recall against brute force, at least 100x the
 * brute-force query rate at 10M, under 64 bytes of memory per hash.
 */
import os from 'node:os'
import { parseArgs } from 'node:util'
import v8 from 'node:v8'
import { runInNewContext } from 'node:vm'
import { bruteForceSearch, PdqIndex, type PdqMatch } from '../app/matching/pdq-index'

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '1000000,10000000' } } })
const SIZES = values.sizes.split(',').map((s) => Number(s.trim()))
if (SIZES.some((n) => !Number.isInteger(n) || n < 1000 || n > 16_000_000)) {
  console.error('--sizes takes a comma-separated list of whole numbers from 1000 to 16000000.')
  process.exit(2)
}

/** Queries timed against the index, and against brute force (fewer: each scans everything). */
const INDEX_QUERIES = 2000
const bruteQueries = (n: number): number => Math.max(20, Math.min(200, Math.round(2e8 / (n * 4))))
/** Near-duplicates planted per query: two within 31 bits, one just beyond (32..47). */
const PLANTED_NEAR = 2

// Without --expose-gc on the command line: lets the RSS figures be taken after a collection.
v8.setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const showProgress = process.stderr.isTTY === true
function progress(text: string): void {
  if (showProgress) process.stderr.write(`\r\x1b[2K${text}`)
}
function progressDone(): void {
  if (showProgress) process.stderr.write('\r\x1b[2K')
}

/** mulberry32: a small fixed-seed PRNG, so every run plants the same data. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
}

/** Nearest-rank percentile. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1] ?? NaN
}

const mib = (bytes: number): string => `${(bytes / 1024 ** 2).toFixed(0)} MiB`
const msText = (value: number): string => (value < 1 ? `${(value * 1000).toFixed(0)} µs` : `${value.toFixed(value < 10 ? 2 : 0)} ms`)
const rate = (perSecond: number): string => (perSecond >= 100 ? perSecond.toFixed(0) : perSecond.toFixed(1))

function flipBits(hash: Uint8Array, count: number, random: () => number): void {
  const flipped = new Set<number>()
  while (flipped.size < count) flipped.add(random() & 255)
  for (const bit of flipped) hash[bit >>> 3]! ^= 1 << (bit & 7)
}

interface Dataset {
  hashes: Uint8Array
  ids: Uint32Array
  queries: Uint8Array[]
  /** Per query: the ids planted within 31 bits, and the one planted beyond. */
  near: number[][]
  far: number[]
}

/**
 * n random hashes under scattered ids; for each query, a random hash not in
 * the list, and PLANTED_NEAR copies at distances spread over 0..31 plus one at
 * 32..47 written over random entries.
 */
function makeDataset(n: number, seed: number): Dataset {
  const random = prng(seed)
  const hashes = new Uint8Array(n * 32)
  const words = new Uint32Array(hashes.buffer)
  for (let i = 0; i < words.length; i++) {
    words[i] = random()
    if ((i & 0xfffff) === 0) progress(`${n.toLocaleString('en')} hashes: generating ${Math.round((100 * i) / words.length)}%`)
  }
  // Caller-chosen ids: distinct, not in position order.
  const ids = new Uint32Array(n)
  for (let i = 0; i < n; i++) ids[i] = (Math.imul(i, 0x9e3779b1) >>> 0) ^ 0x5bd1e995
  const queries: Uint8Array[] = []
  const near: number[][] = []
  const far: number[] = []
  const used = new Set<number>()
  const slot = (): number => {
    let i: number
    do i = random() % n
    while (used.has(i))
    used.add(i)
    return i
  }
  for (let q = 0; q < INDEX_QUERIES; q++) {
    const query = new Uint8Array(4 * 8)
    new Uint32Array(query.buffer).forEach((_, i, a) => (a[i] = random()))
    queries.push(query)
    const nearIds: number[] = []
    for (let c = 0; c < PLANTED_NEAR; c++) {
      const i = slot()
      const copy = hashes.subarray(i * 32, i * 32 + 32)
      copy.set(query)
      // Distances 0..31, each used equally often across the queries.
      flipBits(copy, (q * PLANTED_NEAR + c * 17) % 32, random)
      nearIds.push(ids[i]!)
    }
    near.push(nearIds)
    const i = slot()
    hashes.set(query, i * 32)
    flipBits(hashes.subarray(i * 32, i * 32 + 32), 32 + (q % 16), random)
    far.push(ids[i]!)
  }
  progressDone()
  return { hashes, ids, queries, near, far }
}

const sameMatches = (a: PdqMatch[], b: PdqMatch[]): boolean =>
  a.length === b.length && a.every((m, i) => m.id === b[i]!.id && m.distance === b[i]!.distance)

interface Row {
  n: number
  buildAdd: number
  buildCompact: number
  bytesPerHash: number
  rssPerHash: number
  indexQps: number
  indexP50: number
  indexP99: number
  bruteQps: number
  bruteP50: number
  bruteP99: number
  bruteCount: number
  recallBrute: string
  planted: string
}

function benchSize(n: number): Row {
  const label = `${n.toLocaleString('en')} hashes`
  const data = makeDataset(n, 0x7a4e + n)
  gc()
  const rssBefore = process.memoryUsage().rss

  // Build as an owner loading the list would: add everything, then compact.
  let start = performance.now()
  const index = new PdqIndex({ expectedSize: n })
  for (let i = 0; i < n; i++) {
    index.add(data.ids[i]!, data.hashes.subarray(i * 32, i * 32 + 32))
    if ((i & 0x3ffff) === 0) progress(`${label}: adding ${Math.round((100 * i) / n)}%`)
  }
  const buildAdd = performance.now() - start
  progress(`${label}: compacting…`)
  start = performance.now()
  index.compact()
  const buildCompact = performance.now() - start
  progressDone()
  gc()
  const rssAfter = process.memoryUsage().rss

  // Index queries; the first 50 warm the JIT and are not timed.
  for (let q = 0; q < 50; q++) index.search(data.queries[q]!)
  const results: PdqMatch[][] = []
  const times: number[] = []
  for (let q = 0; q < data.queries.length; q++) {
    if ((q & 63) === 0) progress(`${label}: index queries ${q}/${data.queries.length}`)
    const t = performance.now()
    results.push(index.search(data.queries[q]!))
    times.push(performance.now() - t)
  }
  progressDone()
  const indexTotal = times.reduce((a, b) => a + b, 0)

  // Brute force over the same bytes, on an evenly spread subset of the queries.
  const count = bruteQueries(n)
  bruteForceSearch(data.hashes, data.ids, data.queries[0]!, 31)
  const bruteTimes: number[] = []
  let expected = 0
  let found = 0
  let identical = 0
  for (let b = 0; b < count; b++) {
    progress(`${label}: brute-force queries ${b}/${count}`)
    const q = Math.floor((b * data.queries.length) / count)
    const t = performance.now()
    const truth = bruteForceSearch(data.hashes, data.ids, data.queries[q]!, 31)
    bruteTimes.push(performance.now() - t)
    const got = new Set(results[q]!.map((m) => `${m.id}:${m.distance}`))
    expected += truth.length
    found += truth.filter((m) => got.has(`${m.id}:${m.distance}`)).length
    if (sameMatches(truth, results[q]!)) identical++
  }
  progressDone()
  const bruteTotal = bruteTimes.reduce((a, b) => a + b, 0)

  // Every query against what was planted: near copies found, far ones not.
  let plantedFound = 0
  let plantedTotal = 0
  let farFound = 0
  for (let q = 0; q < data.queries.length; q++) {
    const ids = new Set(results[q]!.map((m) => m.id))
    plantedTotal += data.near[q]!.length
    plantedFound += data.near[q]!.filter((id) => ids.has(id)).length
    if (ids.has(data.far[q]!)) farFound++
  }

  return {
    n,
    buildAdd,
    buildCompact,
    bytesPerHash: index.memoryBytes() / n,
    rssPerHash: (rssAfter - rssBefore) / n,
    indexQps: (1000 * data.queries.length) / indexTotal,
    indexP50: percentile(times, 50),
    indexP99: percentile(times, 99),
    bruteQps: (1000 * count) / bruteTotal,
    bruteP50: percentile(bruteTimes, 50),
    bruteP99: percentile(bruteTimes, 99),
    bruteCount: count,
    recallBrute: `${((100 * found) / expected).toFixed(found === expected ? 0 : 3)}% (${found}/${expected} matches over ${count} queries; ${identical}/${count} result lists identical)`,
    planted: `${plantedFound}/${plantedTotal} within 31 found, ${farFound}/${data.queries.length} at 32..47 found`,
  }
}

function main(): void {
  const cpus = os.cpus()
  console.log('Takeback matching benchmark: PdqIndex against a brute-force scan')
  console.log(`date     ${new Date().toISOString()}`)
  console.log(`machine  ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`)
  console.log(`node     ${process.version} (${os.platform()} ${os.arch()})`)
  console.log(`load     ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (1, 5, 15 min)`)
  console.log(`queries  ${INDEX_QUERIES} per size at maxDistance 31, each with ${PLANTED_NEAR} copies planted at 0..31 bits and one at 32..47`)
  console.log()

  const rows: Row[] = []
  for (const n of SIZES) {
    const row = benchSize(n)
    rows.push(row)
    console.log(`${n.toLocaleString('en')} hashes`)
    console.log(`  build            add ${msText(row.buildAdd)} + compact ${msText(row.buildCompact)} = ${msText(row.buildAdd + row.buildCompact)}`)
    console.log(`  memory per hash  ${row.bytesPerHash.toFixed(1)} B (index typed arrays; ${mib(row.bytesPerHash * n)}), ${row.rssPerHash.toFixed(1)} B (process RSS growth)`)
    console.log(`  index            ${rate(row.indexQps)} queries/s, p50 ${msText(row.indexP50)}, p99 ${msText(row.indexP99)} (${INDEX_QUERIES} queries)`)
    console.log(`  brute force      ${rate(row.bruteQps)} queries/s, p50 ${msText(row.bruteP50)}, p99 ${msText(row.bruteP99)} (${row.bruteCount} queries)`)
    console.log(`  speed ratio      ${(row.indexQps / row.bruteQps).toFixed(0)}x`)
    console.log(`  recall           ${row.recallBrute}`)
    console.log(`  planted          ${row.planted}`)
    console.log()
    gc()
  }

  console.log('Summary')
  console.log('  size        build     B/hash  RSS B/hash  index q/s  p50       p99       brute q/s  ratio  recall')
  for (const r of rows) {
    console.log(
      `  ${r.n.toLocaleString('en').padEnd(11)} ${msText(r.buildAdd + r.buildCompact).padEnd(9)} ${r.bytesPerHash.toFixed(1).padStart(6)}  ${r.rssPerHash.toFixed(1).padStart(10)}  ${rate(r.indexQps).padStart(9)}  ${msText(r.indexP50).padEnd(8)}  ${msText(r.indexP99).padEnd(8)}  ${rate(r.bruteQps).padStart(9)}  ${`${(r.indexQps / r.bruteQps).toFixed(0)}x`.padStart(5)}  ${r.recallBrute.split(' ')[0]}`,
    )
  }
}

main()
