/**
 * HTTP load on the built server: throughput, p50 and p99 at 32 connections
 * for each route survivors and providers use, beside an empty Remix route
 * (the framework's own ceiling on this machine), on SQLite and on
 * PostgreSQL. Then the server's resident memory through a long run of the
 * status page. Prints figures and ratios; asserts nothing.
 *
 *   npm run build            # once: the bench serves the build, as `npm start` does
 *   npm run --silent bench:http [-- --db sqlite|postgres|both] [--duration 10] [--memory 60] [--memory-warmup 30]
 *                                [--only status,feed] [--cpu-prof DIR]
 *
 * --only runs the named phases (request, sign-in, status, feed, match) after
 * the empty route, which always runs as the ratios' base. --cpu-prof DIR
 * starts the server with Node's --cpu-prof, so DIR gets a .cpuprofile of the
 * server when it stops (open it in Chrome's DevTools, Performance panel):
 * how a bottleneck is found.
 *
 * Targets (issue 7): p99 under 250 ms for survivor routes at 32 connections;
 * at least half the empty route's throughput for the status page and the
 * feed; no memory growth over 50 MB across 60 s.
 *
 * The empty route is /healthz: a Remix resource route whose loader runs
 * `select 1`. It is the cheapest route the app has, so it needs no route that
 * exists only for benchmarks; its one trivial query makes it a slightly lower
 * ceiling than a loader that does nothing, which the ratios inherit.
 */
import crypto from 'node:crypto'
import path from 'node:path'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import {
  analyze,
  benchSecrets,
  createProviderKeys,
  loadLine,
  machineLines,
  mib,
  openBenchDatabase,
  progress,
  progressDone,
  rssOf,
  sampleRss,
  seedHashList,
  startServer,
  waitForMatchIndex,
  waitIdle,
  type Engine,
} from './support'

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'both' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    hashes: { type: 'string', default: '1000000' },
    memory: { type: 'string', default: '60' },
    'memory-warmup': { type: 'string', default: '30' },
    'sign-ins': { type: 'string', default: '280' },
    only: { type: 'string' },
    'cpu-prof': { type: 'string' },
  },
})
const PHASES = ['request', 'sign-in', 'status', 'feed', 'match'] as const
type Phase = (typeof PHASES)[number]
const ENGINES: Engine[] = values.db === 'both' ? ['sqlite', 'postgres'] : [values.db as Engine]
const DURATION = Number(values.duration)
const CONNECTIONS = Number(values.connections)
const HASHES = Number(values.hashes)
const MEMORY_SECONDS = Number(values.memory)
const WARMUP_SECONDS = Number(values['memory-warmup'])
const SIGN_INS = Number(values['sign-ins'])
if (!ENGINES.every((e) => e === 'sqlite' || e === 'postgres')) fail('--db takes sqlite, postgres or both.')
if (!Number.isInteger(DURATION) || DURATION < 1) fail('--duration takes a whole number of seconds, at least 1.')
if (!Number.isInteger(CONNECTIONS) || CONNECTIONS < 1) fail('--connections takes a whole number, at least 1.')
if (!Number.isInteger(HASHES) || HASHES < 1000) fail('--hashes takes a whole number, at least 1000.')
if (!Number.isInteger(MEMORY_SECONDS) || MEMORY_SECONDS < 0) fail('--memory takes a whole number of seconds (0 skips the memory run).')
if (!Number.isInteger(WARMUP_SECONDS) || WARMUP_SECONDS < 0) fail('--memory-warmup takes a whole number of seconds (0 measures from the first request).')
// The site-wide sign-in limit is 300 a minute (app/models/case.server.ts), fixed in code.
const ONLY = values.only === undefined ? [...PHASES] : values.only.split(',').map((p) => p.trim())
const unknownPhase = ONLY.find((p) => !(PHASES as readonly string[]).includes(p))
if (unknownPhase !== undefined) fail(`--only takes a comma-separated list of ${PHASES.join(', ')}; "${unknownPhase}" is none of them.`)
const runs = (phase: Phase) => ONLY.includes(phase)
const PROFILE_DIR = values['cpu-prof']
if (PROFILE_DIR === '') fail("--cpu-prof takes the folder the server's profile is written to.")
if (!Number.isInteger(SIGN_INS) || SIGN_INS < 1 || SIGN_INS > 290) fail('--sign-ins takes a whole number from 1 to 290 (the site-wide limit is 300 a minute).')

function fail(message: string): never {
  console.error(message)
  process.exit(2)
}

/** Pictures in the new request the POST /request phase sends: 3 hash values each (PDQ, MD5, SHA-256). */
const REQUEST_PICTURES = 20
/** Survivor sessions the status page phase rotates through, one case each. */
const STATUS_SESSIONS = 32
/** API keys rotated: each is limited to 600 requests a minute (app/lib/provider-api.server.ts). */
const API_KEYS = 64
const MATCH_QUERIES = 100
const PAGE_SIZE = 800

const secrets = benchSecrets()
const { createCase } = await import('../app/models/case.server')
const { createSurvivorSession } = await import('../app/lib/survivor-session.server')

const hex = (bytes: number) => crypto.randomBytes(bytes).toString('hex')
function picture() {
  return { media: 'image' as const, pdq: hex(32), quality: 90, md5: hex(16), sha256: hex(32) }
}
function newRequestBody(pictures: number): string {
  return JSON.stringify({
    idempotencyKey: crypto.randomBytes(18).toString('base64url'),
    requester: 'self_adult',
    language: 'en',
    files: Array.from({ length: pictures }, picture),
    urls: '',
    shareHashes: true,
    noticesConsent: false,
    contactEmail: '',
    signature: '',
  })
}

/** Flip `bits` distinct bits of a hex PDQ, so a query lands near a listed hash rather than on it. */
function nearby(value: string, bits: number): string {
  const bytes = Buffer.from(value, 'hex')
  const flipped = new Set<number>()
  while (flipped.size < bits) flipped.add(crypto.randomInt(256))
  for (const bit of flipped) bytes[bit >>> 3]! ^= 1 << (bit & 7)
  return bytes.toString('hex')
}

interface Figures {
  route: string
  requests: number
  seconds: number
  rps: number
  p50: number
  p99: number
  statuses: string
  errors: number
}

function statusSummary(r: autocannon.Result): string {
  const parts = (['1xx', '2xx', '3xx', '4xx', '5xx'] as const).filter((k) => r[k] > 0).map((k) => `${r[k]} ${k}`)
  if (r.timeouts > 0) parts.push(`${r.timeouts} timeouts`)
  return parts.join(', ') || 'none'
}

async function load(route: string, options: autocannon.Options, serverPid: number): Promise<Figures> {
  await waitIdle(serverPid)
  progress(`${route}: running ${options.amount ? `${options.amount} requests` : `${options.duration} s`} at ${options.connections} connections`)
  const started = Date.now()
  const result = await autocannon({ timeout: 60, ...options })
  progressDone()
  const seconds = (Date.now() - started) / 1000
  const done = result['1xx'] + result['2xx'] + result['3xx'] + result['4xx'] + result['5xx']
  return {
    route,
    requests: done,
    seconds,
    rps: done / (options.amount ? seconds : result.duration),
    p50: result.latency.p50,
    p99: result.latency.p99,
    statuses: statusSummary(result),
    errors: result.errors,
  }
}

/** One request before a phase, so a route that answers wrongly is seen at once rather than measured. */
async function probe(label: string, url: string, init: RequestInit, expect: number[]): Promise<void> {
  const res = await fetch(url, { ...init, redirect: 'manual' })
  const text = await res.text()
  if (!expect.includes(res.status)) throw new Error(`${label}: expected ${expect.join(' or ')}, got ${res.status}: ${text.slice(0, 300)}`)
}

async function runEngine(engine: Engine): Promise<void> {
  console.log(`\n## ${engine === 'sqlite' ? 'SQLite' : 'PostgreSQL'}\n`)
  const database = await openBenchDatabase(engine)
  try {
    const seedStart = Date.now()
    const list = await seedHashList(database.db, engine, HASHES)
    const statistics = await analyze(database)
    console.log(`seeded ${list.hashes.toLocaleString('en')} PDQ hashes in ${list.cases.toLocaleString('en')} sharing cases in ${((Date.now() - seedStart) / 1000).toFixed(0)} s (${statistics})`)
    const keys = await createProviderKeys(database.db, API_KEYS)

    // Survivors' cases made through the app's own model (20 pictures each), with a live session each.
    const cookies: string[] = []
    let signIn = { caseNumber: '', secret: '' }
    for (let s = 0; s < STATUS_SESSIONS; s++) {
      const created = await createCase(database.db, JSON.parse(newRequestBody(REQUEST_PICTURES)) as Parameters<typeof createCase>[1])
      const session = await createSurvivorSession(database.db, created.caseId)
      cookies.push(`tb_case=${session.token}`)
      if (s === 0) signIn = { caseNumber: created.caseNumber, secret: created.secret }
    }

    const overrides = {
      // Each new request and sign-in comes from its own address, as behind a load
      // balancer, so the per-address limits (20 new requests an hour, 10
      // sign-ins in 15 minutes) do not turn the run into 429s.
      TRUST_PROXY: 'loopback',
      // The bench adds far more hashes in a minute than a real day brings.
      HASH_CAP_PER_DAY: '100000000',
    }
    console.log(`server environment set for the bench: ${Object.entries(overrides).map(([k, v]) => `${k}=${v}`).join(', ')}; LOG_LEVEL=info (the default, so the request log is paid for)`)
    console.log(
      `rate limits (fixed in code, not changed): API 600 requests a minute per key, so the API phases rotate ${API_KEYS} providers' keys; ` +
        `new requests 20 per address an hour and sign-in 10 per address per 15 minutes, so those phases send each request from its own X-Forwarded-For address; ` +
        `sign-in 300 a minute site-wide, so the sign-in phase sends ${SIGN_INS} sign-ins`,
    )
    const profile = PROFILE_DIR === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${path.resolve(PROFILE_DIR)}`]
    const server = await startServer(database, { ...secrets, ...overrides }, profile)
    if (PROFILE_DIR !== undefined) console.log(`the server runs with --cpu-prof: its profile goes to ${path.resolve(PROFILE_DIR)} when it stops`)
    try {
      const base = server.baseURL
      const waited = await waitForMatchIndex(base, keys[0]!.key)
      progressDone()
      console.log(`server pid ${server.pid}; match index loaded ${(waited / 1000).toFixed(0)} s after the server began listening; RSS ${mib(rssOf(server.pid))}`)

      let k = 0
      const nextKey = () => keys[k++ % keys.length]!.key
      let c = 0
      const nextCookie = () => cookies[c++ % cookies.length]!
      const starts = Array.from({ length: 200 }, (_, i) => Math.floor((list.oldest + ((list.newest - list.oldest) * i) / 200) / 1000))
      let st = 0
      const matchBodies = Array.from({ length: 20 }, () =>
        JSON.stringify({
          hashes: Array.from({ length: MATCH_QUERIES }, (_, q) => {
            const listed = list.samplePdq[crypto.randomInt(list.samplePdq.length)]!
            // Half near a listed hash (8 bits away), half random: a provider's uploads mostly match nothing.
            return { type: 'pdq', value: q % 2 === 0 ? nearby(listed, 8) : hex(32) }
          }),
        }),
      )
      let mb = 0
      let ip = 0
      const nextAddress = () => {
        ip++
        return `10.${(ip >> 16) & 255}.${(ip >> 8) & 255}.${ip & 255}`
      }
      const signInBody = new URLSearchParams({ intent: 'sign-in', caseNumber: signIn.caseNumber, secret: signIn.secret }).toString()
      const form = { 'content-type': 'application/x-www-form-urlencoded' }

      await probe('empty route', `${base}/healthz`, {}, [200])
      await probe('new request', `${base}/request.data`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': '10.255.255.253' }, body: newRequestBody(REQUEST_PICTURES) }, [200])
      await probe('sign-in', `${base}/status`, { method: 'POST', headers: { ...form, 'x-forwarded-for': '10.255.255.254' }, body: signInBody }, [303])
      await probe('status page', `${base}/status`, { headers: { cookie: cookies[0]! } }, [200])
      await probe('feed', `${base}/api/v1/FetchHashes?startTimestamp=${starts[0]}&pageSize=${PAGE_SIZE}`, { headers: { 'x-functions-key': nextKey() } }, [200])

      const common = { url: base, connections: CONNECTIONS }
      // The status page, each request with the next survivor's session: its own phase and the memory run.
      const statusLoad = (duration: number) => ({
        ...common,
        duration,
        requests: [{ method: 'GET' as const, path: '/status', setupRequest: (req: autocannon.Request) => ({ ...req, headers: { cookie: nextCookie() } }) }],
      })
      const figures: Figures[] = []
      const empty = await load('empty route: GET /healthz', { ...common, duration: DURATION, requests: [{ method: 'GET', path: '/healthz' }] }, server.pid)
      figures.push(empty)
      if (runs('request'))
        figures.push(
          await load(`POST /request (new request, ${REQUEST_PICTURES} pictures = ${REQUEST_PICTURES * 3} hash values)`, {
            ...common,
            duration: DURATION,
            requests: [
              {
                method: 'POST',
                path: '/request.data',
                headers: { 'content-type': 'application/json' },
                // A fresh idempotency key, fresh hashes and a fresh address for every request.
                setupRequest: (req) => ({ ...req, headers: { 'content-type': 'application/json', 'x-forwarded-for': nextAddress() }, body: newRequestBody(REQUEST_PICTURES) }),
              },
            ],
          }, server.pid),
        )
      if (runs('sign-in'))
        figures.push(
          await load('POST /status (sign-in, argon2id)', {
            ...common,
            amount: SIGN_INS,
            requests: [
              {
                method: 'POST',
                path: '/status',
                body: signInBody,
                setupRequest: (req) => ({ ...req, headers: { ...form, 'x-forwarded-for': nextAddress() } }),
              },
            ],
          }, server.pid),
        )
      if (runs('status'))
        figures.push(
          await load('GET /status (status page, signed in)', statusLoad(DURATION), server.pid),
        )
      if (runs('feed'))
        figures.push(
          await load(`GET /api/v1/FetchHashes (page of ${PAGE_SIZE} of ${HASHES.toLocaleString('en')})`, {
            ...common,
            duration: DURATION,
            requests: [
              {
                method: 'GET',
                setupRequest: (req) => ({
                  ...req,
                  path: `/api/v1/FetchHashes?startTimestamp=${starts[st++ % starts.length]}&pageSize=${PAGE_SIZE}`,
                  headers: { 'x-functions-key': nextKey() },
                }),
              },
            ],
          }, server.pid),
        )
      if (runs('match'))
        figures.push(
          await load(`POST /api/v1/match (${MATCH_QUERIES} PDQ against ${HASHES.toLocaleString('en')})`, {
            ...common,
            duration: DURATION,
            requests: [
              {
                method: 'POST',
                path: '/api/v1/match',
                setupRequest: (req) => ({
                  ...req,
                  headers: { authorization: `Bearer ${nextKey()}`, 'content-type': 'application/json' },
                  body: matchBodies[mb++ % matchBodies.length]!,
                }),
              },
            ],
          }, server.pid),
        )

      console.log(`\n| route | requests | throughput | p50 | p99 | of empty route | answers |`)
      console.log(`| --- | --- | --- | --- | --- | --- | --- |`)
      for (const f of figures) {
        const ratio = f === empty ? '100%' : `${((f.rps / empty.rps) * 100).toFixed(1)}%`
        const errors = f.errors > 0 ? `, ${f.errors} errors` : ''
        console.log(`| ${f.route} | ${f.requests} in ${f.seconds.toFixed(1)} s | ${f.rps.toFixed(1)} req/s | ${f.p50} ms | ${f.p99} ms | ${ratio} | ${f.statuses}${errors} |`)
      }

      if (MEMORY_SECONDS > 0) {
        // V8 grows its heap to fit a load before it settles, and RSS keeps
        // what it took: a first minute of load shows that growth, not a leak.
        // So the same load runs first, its growth printed, and then the
        // measured minute.
        let warmup = ''
        if (WARMUP_SECONDS > 0) {
          await waitIdle(server.pid)
          const before = rssOf(server.pid)
          await load(`memory: warming up, GET /status for ${WARMUP_SECONDS} s`, statusLoad(WARMUP_SECONDS), server.pid)
          warmup = `; the ${WARMUP_SECONDS} s warm-up before it took RSS from ${mib(before)} to ${mib(rssOf(server.pid))}`
        }
        await waitIdle(server.pid)
        const samples = sampleRss(server.pid, 1000)
        const run = await load(`memory: GET /status for ${MEMORY_SECONDS} s`, statusLoad(MEMORY_SECONDS), server.pid)
        const rss = samples.stop()
        const start = rss[0]!
        const end = rss[rss.length - 1]!
        const peak = Math.max(...rss)
        console.log(
          `\nmemory over ${MEMORY_SECONDS} s of the status page (${run.requests} requests, ${run.rps.toFixed(1)} req/s, p99 ${run.p99} ms; ` +
            `RSS sampled every second, ${rss.length} samples): start ${mib(start)}, peak ${mib(peak)}, end ${mib(end)}; ` +
            `growth end - start ${mib(end - start)}, peak - start ${mib(peak - start)} (target: under 50 MiB)${warmup}`,
        )
      }
    } finally {
      await server.stop()
    }
  } finally {
    await database.stop()
  }
}

console.log('# HTTP load (bench/http.ts)\n')
for (const line of machineLines()) console.log(line)
console.log(loadLine('start'))
console.log(
  `settings: ${CONNECTIONS} connections, ${DURATION} s per route (sign-in: ${SIGN_INS} requests), ${HASHES.toLocaleString('en')} hashes; ` +
    'autocannon runs in this process, on the same cores as the server',
)
for (const engine of ENGINES) await runEngine(engine)
console.log(`\n${loadLine('end')}`)
