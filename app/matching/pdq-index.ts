/**
 * In-memory PDQ radius search (Hamming distance <= 31 over 256 bits) by
 * multi-index hashing, for millions of hashes in one process.
 *
 * Pure TypeScript over typed arrays: no Node or DOM APIs, and no JS object per
 * stored hash, so 10M hashes cost typed-array memory only.
 *
 * ## Method
 *
 * The 256 bits are split into 8 chunks of 32 bits (the 8 big-endian words of
 * the hash). By the pigeonhole principle, if two hashes differ in at most 31
 * bits, some chunk differs in at most floor(31 / 8) = 3 bits (8 chunks each
 * differing in 4 or more would make 32). So a search enumerates, for each
 * chunk, the stored hashes whose chunk is within 3 bits of the query's, and
 * verifies each candidate by its full Hamming distance. Smaller radii shrink
 * the per-chunk radius too (floor(maxDistance / 8)), down to exact chunk
 * lookups for maxDistance < 8.
 *
 * Memory decides the shape (the target is under 64 bytes per hash, the hash
 * included), per stored hash:
 *   32 B  the hash, as 8 Uint32 words, kept in chunk-0 bucket order, so chunk
 *         0 needs no table: its buckets are runs of this array, read in place
 *         (a Uint32 directory, about one bucket per 9 hashes)
 *    4 B  the caller's id
 *    3 B  positions ordered by id (24-bit), so has/remove/replace find an id
 *         by binary search without a per-id map
 *  ~24 B  chunks 1..7 (ChunkTable): 24-bit positions in bucket order, the
 *         bucket directory in unary (one bucket per hash) and one more bit of
 *         each entry's chunk
 *  1/8 B  a tombstone bit per position
 * = 62.8 B at 1M, 63.4 B at 10M. 16 chunks of 16 bits (radius 1) would need
 * 16 tables: 32 + 4 + 16 * 3 = 84 B at best; 8 chunks is the most that fits.
 * A plain Uint32 directory for chunks 1..7 affords only ~9 hashes per bucket
 * in that budget, and then a query checks ~100,000 candidates at 10M, each a
 * random read of the hash array; docs/performance.md has the figures.
 *
 * Changes go to a small delta (brute-forced at search time) and removals of
 * static entries set a tombstone bit; compact() folds both into a freshly
 * built static structure. Search is correct at every moment without it.
 */

export const PDQ_MAX_RADIUS = 31

const CHUNKS = 8
/** Most hashes in one static segment: positions are packed in 24 bits. */
const SEGMENT_MAX = 1 << 24
/** Aim for about this many hashes per directory bucket (see memory above). */
const BUCKET_TARGET = 9
const HEX64 = /^[0-9a-fA-F]{64}$/

/** 64 lowercase hex chars <-> 32 bytes. Upper case is accepted too. */
export function pdqHexToBytes(hex: string): Uint8Array {
  if (typeof hex !== 'string' || !HEX64.test(hex)) {
    throw new TypeError('A PDQ hash is 64 hexadecimal characters (256 bits).')
  }
  const bytes = new Uint8Array(32)
  for (let i = 0; i < 32; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return bytes
}

/** 32 bytes -> 64 lowercase hex characters. */
export function pdqBytesToHex(bytes: Uint8Array): string {
  let hex = ''
  for (let i = 0; i < 32; i++) hex += (bytes[i]! < 16 ? '0' : '') + bytes[i]!.toString(16)
  return hex
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333)
  x = (x + (x >>> 4)) & 0x0f0f0f0f
  return Math.imul(x, 0x01010101) >>> 24
}

/** Writes the hash as 8 big-endian words into `out` at `offset`. */
function hashToWords(hash: Uint8Array | string, out: Uint32Array, offset: number): void {
  if (typeof hash === 'string') {
    if (!HEX64.test(hash)) throw new TypeError('A PDQ hash is 64 hexadecimal characters (256 bits).')
    for (let k = 0; k < CHUNKS; k++) out[offset + k] = parseInt(hash.slice(k * 8, k * 8 + 8), 16)
    return
  }
  if (!(hash instanceof Uint8Array) || hash.length !== 32) throw new TypeError('A PDQ hash is 32 bytes (256 bits).')
  for (let k = 0; k < CHUNKS; k++) {
    const i = k * 4
    out[offset + k] = ((hash[i]! << 24) | (hash[i + 1]! << 16) | (hash[i + 2]! << 8) | hash[i + 3]!) >>> 0
  }
}

function checkId(id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw new RangeError('An index id is an unsigned 32-bit integer.')
}

function checkMaxDistance(maxDistance: number): void {
  if (!Number.isInteger(maxDistance) || maxDistance < 0 || maxDistance > PDQ_MAX_RADIUS) {
    throw new RangeError(`maxDistance must be an integer from 0 to ${PDQ_MAX_RADIUS}.`)
  }
}

export type PdqMatch = { id: number; distance: number }

function byDistanceThenId(a: PdqMatch, b: PdqMatch): number {
  return a.distance - b.distance || a.id - b.id
}

const read24 = (a: Uint8Array, i: number): number => a[i * 3]! | (a[i * 3 + 1]! << 8) | (a[i * 3 + 2]! << 16)

function write24(a: Uint8Array, i: number, v: number): void {
  a[i * 3] = v & 0xff
  a[i * 3 + 1] = (v >>> 8) & 0xff
  a[i * 3 + 2] = v >>> 16
}

/**
 * Id -> slot map for the delta: open addressing with linear probing over
 * typed arrays, so even a bulk load of millions of additions before the first
 * compact() allocates no object per id.
 */
class IdTable {
  private keys: Uint32Array
  private slots: Int32Array // slot + 1; 0 marks an empty cell
  private mask: number
  count = 0

  constructor(expected: number) {
    let capacity = 16
    while (capacity < expected * 2) capacity *= 2
    this.keys = new Uint32Array(capacity)
    this.slots = new Int32Array(capacity)
    this.mask = capacity - 1
  }

  private cell(id: number): number {
    let i = Math.imul(id, 0x9e3779b1) & this.mask
    while (this.slots[i] !== 0 && this.keys[i] !== id) i = (i + 1) & this.mask
    return i
  }

  get(id: number): number {
    return this.slots[this.cell(id)]! - 1
  }

  set(id: number, slot: number): void {
    const i = this.cell(id)
    if (this.slots[i] === 0) {
      this.count++
      this.keys[i] = id
    }
    this.slots[i] = slot + 1
    if (this.count * 2 > this.keys.length) this.grow()
  }

  delete(id: number): boolean {
    let i = this.cell(id)
    if (this.slots[i] === 0) return false
    this.count--
    // Backward-shift deletion keeps every probe chain unbroken without tombstones.
    let j = i
    for (;;) {
      j = (j + 1) & this.mask
      if (this.slots[j] === 0) break
      const home = Math.imul(this.keys[j]!, 0x9e3779b1) & this.mask
      if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
        this.keys[i] = this.keys[j]!
        this.slots[i] = this.slots[j]!
        i = j
      }
    }
    this.slots[i] = 0
    return true
  }

  private grow(): void {
    const { keys, slots } = this
    this.keys = new Uint32Array(keys.length * 2)
    this.slots = new Int32Array(keys.length * 2)
    this.mask = this.keys.length - 1
    this.count = 0
    for (let i = 0; i < keys.length; i++) if (slots[i] !== 0) this.set(keys[i]!, slots[i]! - 1)
  }

  bytes(): number {
    return this.keys.byteLength + this.slots.byteLength
  }
}

/** Additions since the last compact(): searched by linear scan. */
class Delta {
  words: Uint32Array
  ids: Uint32Array
  count = 0
  readonly table: IdTable

  constructor(expected: number) {
    const capacity = Math.max(64, expected)
    this.words = new Uint32Array(capacity * CHUNKS)
    this.ids = new Uint32Array(capacity)
    this.table = new IdTable(capacity)
  }

  /** Stores the 8 words at `words[from..from+8]` under `id`, replacing any earlier hash for it. */
  put(id: number, words: Uint32Array, from: number): void {
    let slot = this.table.get(id)
    if (slot < 0) {
      if (this.count === this.ids.length) {
        const ids = new Uint32Array(this.ids.length * 2)
        ids.set(this.ids)
        const grown = new Uint32Array(ids.length * CHUNKS)
        grown.set(this.words)
        this.ids = ids
        this.words = grown
      }
      slot = this.count++
      this.ids[slot] = id
      this.table.set(id, slot)
    }
    this.words.set(words.subarray(from, from + CHUNKS), slot * CHUNKS)
  }

  delete(id: number): boolean {
    const slot = this.table.get(id)
    if (slot < 0) return false
    this.table.delete(id)
    const last = --this.count
    if (slot !== last) {
      const moved = this.ids[last]!
      this.ids[slot] = moved
      this.words.copyWithin(slot * CHUNKS, last * CHUNKS, last * CHUNKS + CHUNKS)
      this.table.set(moved, slot)
    }
    return true
  }

  search(q: Uint32Array, maxDistance: number, out: PdqMatch[]): void {
    const words = this.words
    const q0 = q[0]!, q1 = q[1]!, q2 = q[2]!, q3 = q[3]!, q4 = q[4]!, q5 = q[5]!, q6 = q[6]!, q7 = q[7]!
    for (let i = 0, o = 0; i < this.count; i++, o += CHUNKS) {
      const d =
        popcount(words[o]! ^ q0) + popcount(words[o + 1]! ^ q1) + popcount(words[o + 2]! ^ q2) + popcount(words[o + 3]! ^ q3) +
        popcount(words[o + 4]! ^ q4) + popcount(words[o + 5]! ^ q5) + popcount(words[o + 6]! ^ q6) + popcount(words[o + 7]! ^ q7)
      if (d <= maxDistance) out.push({ id: this.ids[i]!, distance: d })
    }
  }

  bytes(): number {
    return this.words.byteLength + this.ids.byteLength + this.table.bytes()
  }
}

/** Directory bits for n hashes: about BUCKET_TARGET hashes per bucket, at least 1 bit. */
function directoryBits(n: number): number {
  return Math.max(1, Math.min(24, Math.floor(Math.log2(Math.max(2, n / BUCKET_TARGET)))))
}

/**
 * XOR masks of every b-bit pattern with at most 3 bits set, ordered by the
 * number of bits; `ends[r]` is how many have at most r bits.
 */
const maskCache = new Map<number, { list: Int32Array; ends: number[] }>()

function neighbourMasks(bits: number): { list: Int32Array; ends: number[] } {
  let cached = maskCache.get(bits)
  if (cached) return cached
  const list: number[] = [0]
  const ends = [1]
  for (let i = 0; i < bits; i++) list.push(1 << i)
  ends.push(list.length)
  for (let i = 0; i < bits; i++) for (let j = i + 1; j < bits; j++) list.push((1 << i) | (1 << j))
  ends.push(list.length)
  for (let i = 0; i < bits; i++) for (let j = i + 1; j < bits; j++) for (let l = j + 1; l < bits; l++) list.push((1 << i) | (1 << j) | (1 << l))
  ends.push(list.length)
  cached = { list: Int32Array.from(list), ends }
  maskCache.set(bits, cached)
  return cached
}

const ctz = (x: number): number => 31 - Math.clz32(x & -x)

/**
 * One chunk's table (chunks 1..7): the positions of the segment's hashes
 * ordered by the top `bits` bits of the chunk (bits = floor(log2 n), so about
 * one hash per bucket), with
 *   - the bucket directory in unary (Elias-Fano's high part): for each bucket,
 *     one 1 bit per entry then a 0, so n + 2^bits bits instead of 32 bits per
 *     bucket, with the start of every 64th bucket sampled for lookup;
 *   - the next bit of each entry's chunk, so a bucket reached with the whole
 *     radius spent on the prefix drops half its entries without touching the
 *     hash array.
 * About 3.4 bytes per hash, 3 of them the 24-bit positions.
 */
class ChunkTable {
  readonly positions: Uint8Array
  readonly unary: Uint32Array
  readonly samples: Uint32Array
  readonly nextBit: Uint8Array

  constructor(words: Uint32Array, k: number, n: number, bits: number, order: Uint32Array, counts: Uint32Array) {
    const shift = 32 - bits
    const buckets = 1 << bits
    counts.fill(0, 0, buckets + 1)
    for (let p = 0; p < n; p++) counts[(words[p * CHUNKS + k]! >>> shift) + 1]!++
    for (let v = 1; v <= buckets; v++) counts[v]! += counts[v - 1]!
    // counts[v] is now the start of bucket v; place, then shift back.
    for (let p = 0; p < n; p++) order[counts[words[p * CHUNKS + k]! >>> shift]!++] = p
    this.positions = new Uint8Array(n * 3)
    this.nextBit = new Uint8Array((n + 7) >>> 3)
    for (let i = 0; i < n; i++) {
      const p = order[i]!
      write24(this.positions, i, p)
      if ((words[p * CHUNKS + k]! >>> (shift - 1)) & 1) this.nextBit[i >>> 3]! |= 1 << (i & 7)
    }
    // Two spare words let lookups read 64 bits past any position.
    this.unary = new Uint32Array(((n + buckets) >>> 5) + 3)
    this.samples = new Uint32Array((buckets + 63) >>> 6)
    let t = 0
    let start = 0
    for (let j = 0; j < buckets; j++) {
      if ((j & 63) === 0) this.samples[j >>> 6] = t
      // After placement counts[j] is the end of bucket j.
      const end = counts[j]!
      for (let i = start; i < end; i++, t++) this.unary[t >>> 5]! |= 1 << (t & 31)
      t++ // the 0 that closes bucket j
      start = end
    }
  }

  /** Bit position where bucket j's run of 1s begins: after j 0s. */
  bucketBit(j: number): number {
    const unary = this.unary
    let t = this.samples[j >>> 6]!
    let z = j & 63
    while (z > 0) {
      const o = t & 31
      const avail = 32 - o
      const bits = unary[t >>> 5]! >>> o
      const zeros = avail - popcount(bits)
      if (zeros < z) {
        z -= zeros
        t += avail
        continue
      }
      let x = ~bits
      for (let c = 1; c < z; c++) x &= x - 1
      return t + ctz(x) + 1
    }
    return t
  }

  /** Number of 1s from bit t up to the next 0: the size of the bucket starting there. */
  runLength(t: number): number {
    const unary = this.unary
    let length = 0
    for (;;) {
      const o = t & 31
      const w = t >>> 5
      const bits = o === 0 ? unary[w]! : (unary[w]! >>> o) | (unary[w + 1]! << (32 - o))
      if (bits !== -1 && bits !== 0xffffffff) return length + ctz(~bits)
      length += 32
      t += 32
    }
  }

  bytes(): number {
    return this.positions.byteLength + this.unary.byteLength + this.samples.byteLength + this.nextBit.byteLength
  }
}

/** Immutable multi-index over at most 2^24 hashes, plus its tombstone bits. */
class Segment {
  readonly n: number
  /** Directory bits of chunk 0 and of chunks 1..7. */
  readonly bits0: number
  readonly bits: number
  /** n * 8 words, in chunk-0 bucket order, so chunk 0's buckets are read in place. */
  readonly words: Uint32Array
  readonly ids: Uint32Array
  /** Positions (24-bit) ordered by id. */
  readonly byId: Uint8Array
  /** Chunk 0: 2^bits0 + 1 offsets into the word array. */
  readonly dir0: Uint32Array
  /** Chunks 1..7 (index 0 unused). */
  readonly tables: ChunkTable[]
  readonly dead: Uint8Array
  deadCount = 0

  /** Builds from n hashes (`words`, n * 8) and their ids; the arrays are not kept. */
  constructor(words: Uint32Array, ids: Uint32Array) {
    const n = ids.length
    this.n = n
    this.bits0 = directoryBits(n)
    this.bits = Math.max(1, Math.min(24, Math.floor(Math.log2(Math.max(2, n)))))
    this.dead = new Uint8Array((n + 7) >>> 3)

    // Chunk 0: counting sort of the hashes themselves by their top bits.
    const shift0 = 32 - this.bits0
    const buckets0 = 1 << this.bits0
    const order = new Uint32Array(n)
    const dir0 = new Uint32Array(buckets0 + 1)
    for (let p = 0; p < n; p++) dir0[(words[p * CHUNKS]! >>> shift0) + 1]!++
    for (let v = 1; v <= buckets0; v++) dir0[v]! += dir0[v - 1]!
    const next = dir0.slice(0, buckets0)
    for (let p = 0; p < n; p++) order[next[words[p * CHUNKS]! >>> shift0]!++] = p
    this.dir0 = dir0
    this.words = new Uint32Array(n * CHUNKS)
    this.ids = new Uint32Array(n)
    for (let p = 0; p < n; p++) {
      const from = order[p]!
      this.words.set(words.subarray(from * CHUNKS, from * CHUNKS + CHUNKS), p * CHUNKS)
      this.ids[p] = ids[from]!
    }

    const counts = new Uint32Array((1 << this.bits) + 1)
    this.tables = [undefined as unknown as ChunkTable]
    for (let k = 1; k < CHUNKS; k++) this.tables.push(new ChunkTable(this.words, k, n, this.bits, order, counts))

    // Positions sorted by id: LSD radix sort, two passes of 16 bits.
    const a = order
    const b = new Uint32Array(n)
    for (let p = 0; p < n; p++) a[p] = p
    const radix = new Uint32Array(65537)
    for (const [src, dst, sh] of [[a, b, 0], [b, a, 16]] as const) {
      radix.fill(0)
      for (let i = 0; i < n; i++) radix[((this.ids[src[i]!]! >>> sh) & 0xffff) + 1]!++
      for (let v = 1; v <= 65536; v++) radix[v]! += radix[v - 1]!
      for (let i = 0; i < n; i++) dst[radix[(this.ids[src[i]!]! >>> sh) & 0xffff]!++] = src[i]!
    }
    this.byId = new Uint8Array(n * 3)
    for (let i = 0; i < n; i++) write24(this.byId, i, a[i]!)
  }

  /** Position of a live entry with this id, or -1. */
  find(id: number): number {
    let lo = 0
    let hi = this.n - 1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      const p = read24(this.byId, mid)
      const v = this.ids[p]!
      if (v === id) return this.isDead(p) ? -1 : p
      if (v < id) lo = mid + 1
      else hi = mid - 1
    }
    return -1
  }

  isDead(p: number): boolean {
    return (this.dead[p >>> 3]! & (1 << (p & 7))) !== 0
  }

  kill(p: number): void {
    this.dead[p >>> 3]! |= 1 << (p & 7)
    this.deadCount++
  }

  get live(): number {
    return this.n - this.deadCount
  }

  private candidates = new Uint32Array(1024)

  private room(needed: number): Uint32Array {
    if (needed > this.candidates.length) {
      let size = this.candidates.length
      while (size < needed) size *= 2
      const grown = new Uint32Array(size)
      grown.set(this.candidates)
      this.candidates = grown
    }
    return this.candidates
  }

  search(q: Uint32Array, maxDistance: number, out: PdqMatch[]): void {
    if (this.n === 0) return
    // Pigeonhole: some chunk is within floor(maxDistance / 8) bits.
    const radius = Math.floor(maxDistance / CHUNKS)
    const words = this.words

    // Chunk 0: buckets are runs of the word array, checked in place.
    const masks0 = neighbourMasks(this.bits0)
    const shift0 = 32 - this.bits0
    const q0 = q[0]!
    const prefix0 = q0 >>> shift0
    for (let m = 0, probes = masks0.ends[Math.min(radius, 3)]!; m < probes; m++) {
      const bucket = prefix0 ^ masks0.list[m]!
      for (let p = this.dir0[bucket]!, end = this.dir0[bucket + 1]!; p < end; p++) {
        if (popcount(words[p * CHUNKS]! ^ q0) <= radius) this.verify(p, 0, q, radius, maxDistance, out)
      }
    }

    // Chunks 1..7. Two passes: gather the positions in every bucket within
    // the radius, then test their chunk in a tight loop whose independent
    // loads the CPU can overlap (the hash array is far larger than the caches).
    const masks = neighbourMasks(this.bits)
    const shift = 32 - this.bits
    for (let k = 1; k < CHUNKS; k++) {
      const table = this.tables[k]!
      const positions = table.positions
      const nextBit = table.nextBit
      const qk = q[k]!
      const prefix = qk >>> shift
      const qNext = (qk >>> (shift - 1)) & 1
      let found = 0
      for (let flips = 0; flips <= radius && flips <= 3; flips++) {
        // With the whole radius spent on the prefix, the next bit must match.
        const exact = flips === radius
        for (let m = flips === 0 ? 0 : masks.ends[flips - 1]!, end = masks.ends[flips]!; m < end; m++) {
          const bucket = prefix ^ masks.list[m]!
          const t = table.bucketBit(bucket)
          const size = table.runLength(t)
          if (size === 0) continue
          const start = t - bucket
          const candidates = this.room(found + size)
          for (let i = start; i < start + size; i++) {
            if (exact && ((nextBit[i >>> 3]! >>> (i & 7)) & 1) !== qNext) continue
            candidates[found++] = positions[i * 3]! | (positions[i * 3 + 1]! << 8) | (positions[i * 3 + 2]! << 16)
          }
        }
      }
      const candidates = this.candidates
      for (let i = 0; i < found; i++) {
        const p = candidates[i]!
        if (popcount(words[p * CHUNKS + k]! ^ qk) <= radius) this.verify(p, k, q, radius, maxDistance, out)
      }
    }
  }

  /** Full distance of the hash at p, found through chunk k; reported only from the first chunk that finds it. */
  private verify(p: number, k: number, q: Uint32Array, radius: number, maxDistance: number, out: PdqMatch[]): void {
    const words = this.words
    const o = p * CHUNKS
    let distance = 0
    for (let j = 0; j < CHUNKS; j++) {
      const d = popcount(words[o + j]! ^ q[j]!)
      // An earlier chunk within the radius finds (or found) this hash itself.
      if (j < k && d <= radius) return
      distance += d
    }
    if (distance <= maxDistance && !this.isDead(p)) out.push({ id: this.ids[p]!, distance })
  }

  bytes(): number {
    let total = this.words.byteLength + this.ids.byteLength + this.byId.byteLength + this.dead.byteLength
    total += this.dir0.byteLength + this.candidates.byteLength
    for (let k = 1; k < CHUNKS; k++) total += this.tables[k]!.bytes()
    return total
  }
}

export class PdqIndex {
  private segments: Segment[] = []
  private delta: Delta
  private readonly scratch = new Uint32Array(CHUNKS)

  /** `expectedSize` presizes the delta for a bulk load before the first compact(). */
  constructor(options: { expectedSize?: number } = {}) {
    this.delta = new Delta(Math.max(0, Math.floor(options.expectedSize ?? 0)))
  }

  /** Adds or replaces the hash stored under `id` (an unsigned 32-bit integer chosen by the caller). Cheap; the index stays correct for search immediately. */
  add(id: number, hash: Uint8Array | string): void {
    checkId(id)
    hashToWords(hash, this.scratch, 0)
    if (this.delta.table.get(id) < 0) this.killStatic(id)
    this.delta.put(id, this.scratch, 0)
  }

  /** Removes `id`; returns whether it was present. */
  remove(id: number): boolean {
    checkId(id)
    return this.delta.delete(id) || this.killStatic(id)
  }

  has(id: number): boolean {
    checkId(id)
    if (this.delta.table.get(id) >= 0) return true
    for (const segment of this.segments) if (segment.find(id) >= 0) return true
    return false
  }

  get size(): number {
    let total = this.delta.count
    for (const segment of this.segments) total += segment.live
    return total
  }

  /** Every stored hash within `maxDistance` (0..31, default 31; larger throws RangeError) of `query`, sorted by distance then id; every candidate verified by full Hamming distance. */
  search(query: Uint8Array | string, maxDistance: number = PDQ_MAX_RADIUS): PdqMatch[] {
    checkMaxDistance(maxDistance)
    const q = new Uint32Array(CHUNKS)
    hashToWords(query, q, 0)
    const out: PdqMatch[] = []
    for (const segment of this.segments) segment.search(q, maxDistance, out)
    this.delta.search(q, maxDistance, out)
    return out.sort(byDistanceThenId)
  }

  /** Folds pending additions/removals into the static structure; called by the owner when convenient (search is correct without it). */
  compact(): void {
    const dead = this.segments.reduce((sum, s) => sum + s.deadCount, 0)
    if (this.delta.count === 0 && dead === 0) return
    const total = this.size
    const words = new Uint32Array(total * CHUNKS)
    const ids = new Uint32Array(total)
    let n = 0
    for (const segment of this.segments) {
      for (let p = 0; p < segment.n; p++) {
        if (segment.isDead(p)) continue
        words.set(segment.words.subarray(p * CHUNKS, p * CHUNKS + CHUNKS), n * CHUNKS)
        ids[n++] = segment.ids[p]!
      }
    }
    words.set(this.delta.words.subarray(0, this.delta.count * CHUNKS), n * CHUNKS)
    ids.set(this.delta.ids.subarray(0, this.delta.count), n)
    // Drop the old structure before building the new one, to lower the peak.
    this.segments = []
    this.delta = new Delta(0)
    // Equal-sized segments of at most 2^24 hashes each.
    const count = Math.ceil(total / SEGMENT_MAX)
    for (let s = 0; s < count; s++) {
      const from = Math.floor((s * total) / count)
      const to = Math.floor(((s + 1) * total) / count)
      this.segments.push(new Segment(words.subarray(from * CHUNKS, to * CHUNKS), ids.subarray(from, to)))
    }
  }

  /** Bytes held by the index's typed arrays and maps, for the benchmark. */
  memoryBytes(): number {
    let total = this.delta.bytes() + this.scratch.byteLength
    for (const segment of this.segments) total += segment.bytes()
    return total
  }

  private killStatic(id: number): boolean {
    for (const segment of this.segments) {
      const p = segment.find(id)
      if (p >= 0) {
        segment.kill(p)
        return true
      }
    }
    return false
  }
}

/** Reference: linear scan over the same data, used by tests and the benchmark. */
export function bruteForceSearch(hashes: Uint8Array /* n*32 bytes */, ids: Uint32Array, query: Uint8Array, maxDistance: number): PdqMatch[] {
  checkMaxDistance(maxDistance)
  const n = ids.length
  if (hashes.length !== n * 32) throw new RangeError('hashes must hold 32 bytes for each id.')
  if (query.length !== 32) throw new TypeError('A PDQ hash is 32 bytes (256 bits).')
  // XOR and popcount do not care about byte order, so the bytes are read as
  // native words: a view when aligned, else one copy.
  const aligned = hashes.byteOffset % 4 === 0 ? hashes : hashes.slice()
  const words = new Uint32Array(aligned.buffer, aligned.byteOffset, n * CHUNKS)
  const q = new Uint32Array(query.slice().buffer, 0, CHUNKS)
  const q0 = q[0]!, q1 = q[1]!, q2 = q[2]!, q3 = q[3]!, q4 = q[4]!, q5 = q[5]!, q6 = q[6]!, q7 = q[7]!
  const out: PdqMatch[] = []
  for (let i = 0, o = 0; i < n; i++, o += CHUNKS) {
    const d =
      popcount(words[o]! ^ q0) + popcount(words[o + 1]! ^ q1) + popcount(words[o + 2]! ^ q2) + popcount(words[o + 3]! ^ q3) +
      popcount(words[o + 4]! ^ q4) + popcount(words[o + 5]! ^ q5) + popcount(words[o + 6]! ^ q6) + popcount(words[o + 7]! ^ q7)
    if (d <= maxDistance) out.push({ id: ids[i]!, distance: d })
  }
  return out.sort(byDistanceThenId)
}
