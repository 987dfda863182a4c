/**
 * `takeback scan --feed EXPORT.ndjson DIR`: for a provider (a small host,
 * say) to check its own storage against the hash list without sending
 * anything anywhere. Every image and video under DIR is hashed on this
 * machine with the engine `takeback hash` uses; each match is printed as one
 * JSON line on standard output, progress and a summary go to standard error.
 */
import fs from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import { parseArgs } from 'node:util'
import { fileTypeFromFile } from 'file-type'
import { isLowQuality } from '../hashing/pdq'
import { PDQ_MAX_RADIUS, PdqIndex } from '../matching/pdq-index'
import { hashFile, UnreadableFile } from './hash-file'
import { Progress } from './progress'

type FeedType = 'pdq' | 'md5' | 'sha256' | 'vpdq'

const VALUE_PATTERN: Record<FeedType, RegExp> = {
  pdq: /^[0-9a-f]{64}$/i,
  vpdq: /^[0-9a-f]{64}$/i,
  md5: /^[0-9a-f]{32}$/i,
  sha256: /^[0-9a-f]{64}$/i,
}

export interface ScanMatch {
  file: string
  kind: FeedType
  value: string
  /** For a video frame: its number in decoding order. */
  frame?: number
  matched: { type: FeedType; value: string; distance: number }
}

/** The active hashes of a feed, ready to match against. */
export interface Feed {
  pdq: PdqIndex
  /** PdqIndex id -> the feed entry it stands for. */
  entries: Array<{ type: 'pdq' | 'vpdq'; value: string }>
  md5: Set<string>
  sha256: Set<string>
  lines: number
  malformed: number
}

/**
 * Reads a native NDJSON export (`GET /api/v1/hashes/export`). Each line is the
 * current snapshot of one stored hash, so a later line for the same hash
 * (same type, value, case, item and frame) replaces an earlier one; only
 * those whose last word is `active` are matched. Unknown fields and unknown
 * types are ignored, so newer exports still read.
 *
 * A malformed line is reported by its number on standard error and skipped
 * rather than stopping the scan: an export is appended to over time, and one
 * damaged line must not keep a host from checking against all the others. The
 * count is repeated in the summary, so a damaged download does not go
 * unnoticed.
 */
export async function readFeed(file: string, warn: (message: string) => void): Promise<Feed> {
  const latest = new Map<string, { type: FeedType; value: string; active: boolean; updatedAt: number }>()
  const input = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity })
  let lines = 0
  let malformed = 0
  const bad = (why: string) => {
    malformed++
    // The line number only: a feed line holds hashes and opaque case ids, which stay out of logs.
    if (malformed <= 20) warn(`Feed line ${lines}: ${why}; skipped.`)
    else if (malformed === 21) warn('More malformed feed lines; only their count is given below.')
  }
  for await (const raw of input) {
    lines++
    const text = raw.trim()
    if (text === '') continue
    let line: unknown
    try {
      line = JSON.parse(text)
    } catch {
      bad('not JSON')
      continue
    }
    if (typeof line !== 'object' || line === null || Array.isArray(line)) {
      bad('not a JSON object')
      continue
    }
    const { type, value, status, updatedAt, case: caseId, item, frame } = line as Record<string, unknown>
    if (typeof type !== 'string' || typeof value !== 'string' || typeof status !== 'string') {
      bad('"type", "value" and "status" must be strings')
      continue
    }
    if (!(type in VALUE_PATTERN)) continue // a hash kind this version does not match
    const kind = type as FeedType
    if (!VALUE_PATTERN[kind].test(value)) {
      bad(`"value" is not a ${kind === 'md5' ? '32' : '64'}-character hex ${kind} hash`)
      continue
    }
    const at = typeof updatedAt === 'number' && Number.isFinite(updatedAt) ? updatedAt : 0
    const key = JSON.stringify([kind, value.toLowerCase(), caseId ?? null, item ?? null, frame ?? null])
    const seen = latest.get(key)
    if (!seen || at >= seen.updatedAt) latest.set(key, { type: kind, value: value.toLowerCase(), active: status === 'active', updatedAt: at })
  }

  const feed: Feed = { pdq: new PdqIndex(), entries: [], md5: new Set(), sha256: new Set(), lines, malformed }
  const pdqIds = new Map<string, number>()
  for (const entry of latest.values()) {
    if (!entry.active) continue
    if (entry.type === 'md5') feed.md5.add(entry.value)
    else if (entry.type === 'sha256') feed.sha256.add(entry.value)
    else {
      // The same hash under several cases or frames is indexed once.
      const key = `${entry.type}:${entry.value}`
      if (pdqIds.has(key)) continue
      pdqIds.set(key, feed.entries.length)
      feed.pdq.add(feed.entries.length, entry.value)
      feed.entries.push({ type: entry.type, value: entry.value })
    }
  }
  feed.pdq.compact()
  return feed
}

/** Regular files under dir, depth first in name order; symbolic links are not followed. */
export function* walk(dir: string): Generator<string> {
  const names = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  for (const entry of names) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) yield* walk(full)
    else if (entry.isFile()) yield full
  }
}

function pdqMatches(feed: Feed, hash: string, maxDistance: number) {
  return feed.pdq.search(hash, maxDistance).map((m) => ({ ...feed.entries[m.id]!, distance: m.distance }))
}

const USAGE_HINT = 'Usage: npm run --silent takeback -- scan --feed EXPORT.ndjson [--max-distance N] DIR'

export async function scanCommand(args: string[], usage: string): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      feed: { type: 'string' },
      'max-distance': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (values.help) {
    process.stdout.write(usage)
    return 0
  }
  if (!values.feed) {
    process.stderr.write(`Name the hash list to match against with --feed EXPORT.ndjson (the native export).\n${USAGE_HINT}\n`)
    return 2
  }
  if (positionals.length !== 1) {
    process.stderr.write(`Name exactly one folder to scan.\n${USAGE_HINT}\n`)
    return 2
  }
  const maxDistance = values['max-distance'] === undefined ? PDQ_MAX_RADIUS : Number(values['max-distance'])
  if (!Number.isInteger(maxDistance) || maxDistance < 0 || maxDistance > PDQ_MAX_RADIUS) {
    process.stderr.write(`--max-distance takes a whole number of bits from 0 to ${PDQ_MAX_RADIUS}.\n`)
    return 2
  }
  const root = positionals[0]!
  if (!fs.statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
    process.stderr.write(`${root} is not a folder that can be read.\n`)
    return 2
  }
  if (!fs.statSync(values.feed, { throwIfNoEntry: false })?.isFile()) {
    process.stderr.write(`The feed ${values.feed} is not a file that can be read.\n`)
    return 2
  }

  const warn = (message: string) => process.stderr.write(message + '\n')
  const feed = await readFeed(values.feed, warn)
  const active = feed.entries.length + feed.md5.size + feed.sha256.size
  if (active === 0) warn('The feed holds no active hashes: nothing can match.')

  const files = [...walk(root)]
  const progress = new Progress(files.length)
  const counts = { images: 0, videos: 0, skipped: 0, failed: 0, lowQuality: 0, matches: 0, filesMatched: 0 }
  for (const [i, file] of files.entries()) {
    const relative = path.relative(root, file)
    progress.start(i, relative)
    // Storage holds more than pictures; what is neither is passed over quietly.
    const type = await fileTypeFromFile(file).catch(() => undefined)
    if (!type || !(type.mime.startsWith('image/') || type.mime.startsWith('video/'))) {
      counts.skipped++
      continue
    }
    let found: ScanMatch[]
    try {
      const hashes = await hashFile(file, { onProgress: (f) => progress.update(f) })
      found = []
      for (const kind of ['md5', 'sha256'] as const) {
        if (feed[kind].has(hashes[kind])) found.push({ file: relative, kind, value: hashes[kind], matched: { type: kind, value: hashes[kind], distance: 0 } })
      }
      if (hashes.kind === 'image') {
        counts.images++
        // Too flat to be trusted, as upstream discards them: matching would only find other flat images.
        if (isLowQuality(hashes.quality)) counts.lowQuality++
        else for (const m of pdqMatches(feed, hashes.pdq, maxDistance)) found.push({ file: relative, kind: 'pdq', value: hashes.pdq, matched: { type: m.type, value: m.value, distance: m.distance } })
      } else {
        counts.videos++
        // Each feed entry once per video, at its nearest frame.
        const best = new Map<number, ScanMatch>()
        for (const frame of hashes.vpdq ?? []) {
          if (isLowQuality(frame.quality)) continue
          for (const m of feed.pdq.search(frame.pdq, maxDistance)) {
            const seen = best.get(m.id)
            if (seen && seen.matched.distance <= m.distance) continue
            const entry = feed.entries[m.id]!
            best.set(m.id, { file: relative, kind: 'vpdq', value: frame.pdq, frame: frame.frame, matched: { ...entry, distance: m.distance } })
          }
        }
        found.push(...[...best.values()].sort((a, b) => a.matched.distance - b.matched.distance || (a.frame ?? 0) - (b.frame ?? 0)))
      }
    } catch (error) {
      counts.failed++
      progress.clear()
      const message = error instanceof UnreadableFile ? error.message : `Unexpected error: ${error instanceof Error ? error.message : String(error)}`
      warn(`${relative}: ${message}`)
      continue
    }
    progress.clear()
    for (const match of found) process.stdout.write(JSON.stringify(match) + '\n')
    counts.matches += found.length
    if (found.length > 0) counts.filesMatched++
  }
  progress.clear()

  const plural = (n: number, word: string, many = `${word}s`) => `${n} ${n === 1 ? word : many}`
  warn(
    `Scanned ${plural(counts.images, 'image')} and ${plural(counts.videos, 'video')} ` +
      `(${counts.skipped} other file${counts.skipped === 1 ? '' : 's'} skipped` +
      `${counts.failed ? `, ${counts.failed} could not be read` : ''}` +
      `${counts.lowQuality ? `, ${counts.lowQuality} image${counts.lowQuality === 1 ? '' : 's'} too flat for PDQ` : ''}) ` +
      `against ${plural(active, 'active hash', 'active hashes')} from ${plural(feed.lines, 'feed line')}` +
      `${feed.malformed ? ` (${feed.malformed} malformed, skipped)` : ''}: ` +
      `${plural(counts.matches, 'match', 'matches')} in ${plural(counts.filesMatched, 'file')}.`,
  )
  return counts.failed > 0 ? 1 : 0
}
