/**
 * PDQ perceptual hash (Meta ThreatExchange), bit-exact with the reference C++
 * at full resolution (no 512x512 pre-resize).
 *
 * Pure TypeScript: no DOM and no Node APIs, so the browser Web Worker, the
 * server and the command line share this one implementation.
 *
 * Every image operation is float32 rounded exactly where the reference rounds
 * a C++ `float`. Storing into a Float32Array or calling Math.fround after a
 * single double operation on float32 operands gives the correctly rounded
 * float32 result (double has more than 2*24+2 bits, so the double rounding is
 * harmless for + - * /). With plain float64 arithmetic the hashes drift by a
 * few bits on low-quality images.
 */

export type PdqResult = { hash: string; quality: number }

export type PdqDihedralResult = PdqResult & { dihedral: string[] }

export type PdqChannels = 1 | 3 | 4

type Pixels = Uint8Array | Uint8ClampedArray

/** Hashes with quality below this are too flat to be trusted and are discarded upstream. */
export const LOW_QUALITY_THRESHOLD = 50

/** Upstream's confident-match threshold: two hashes match when their distance is <= this. */
export const PDQ_MATCH_DISTANCE = 31

/** The order of `dihedral`, matching the reference's `--pdqdih` output and the vector CSVs. */
export const DIHEDRAL_ORDER = [
  'original',
  'rotate90',
  'rotate180',
  'rotate270',
  'flipx',
  'flipy',
  'flipplus1',
  'flipminus1',
] as const

export function isLowQuality(quality: number): boolean {
  return quality < LOW_QUALITY_THRESHOLD
}

const ZERO_HASH = '0'.repeat(64)
const HEX64 = /^[0-9a-f]{64}$/i

/** Number of differing bits between two 64-hex PDQ hashes (case-insensitive). */
export function hammingDistance(a: string, b: string): number {
  if (!HEX64.test(a) || !HEX64.test(b)) {
    throw new TypeError('hammingDistance expects two 64-character hex PDQ hashes')
  }
  let distance = 0
  for (let i = 0; i < 64; i += 8) {
    let x = (parseInt(a.slice(i, i + 8), 16) ^ parseInt(b.slice(i, i + 8), 16)) >>> 0
    x -= (x >>> 1) & 0x55555555
    x = (x & 0x33333333) + ((x >>> 2) & 0x33333333)
    x = (x + (x >>> 4)) & 0x0f0f0f0f
    distance += Math.imul(x, 0x01010101) >>> 24
  }
  return distance
}

export function pdqFromRgba(rgba: Pixels, width: number, height: number): PdqDihedralResult {
  return pdqFromPixels(rgba, width, height, 4)
}

export function pdqFromRgb(rgb: Pixels, width: number, height: number): PdqDihedralResult {
  return pdqFromPixels(rgb, width, height, 3)
}

/** For 1-channel sources: the grey value is the luma, as the reference does (no RGB formula). */
export function pdqFromGrey(grey: Pixels, width: number, height: number): PdqDihedralResult {
  return pdqFromPixels(grey, width, height, 1)
}

/** Interleaved 8-bit pixels, 1 (grey), 3 (RGB) or 4 (RGBA, alpha ignored) channels. */
export function pdqFromPixels(
  pixels: Pixels,
  width: number,
  height: number,
  channels: PdqChannels,
): PdqDihedralResult {
  checkInput(pixels, width, height, channels)
  if (width < 5 || height < 5) {
    return { hash: ZERO_HASH, quality: 0, dihedral: DIHEDRAL_ORDER.map(() => ZERO_HASH) }
  }
  const buffer = pdqDownsample64(pixels, width, height, channels)
  const dct = pdqDct(buffer)
  // The reference's dihedral entry point has no 64x64 shortcut: it always
  // blurs (window 1, whose running sum still perturbs the last bits). Its
  // plain entry point, which providers' hashes come from, skips the blur. So
  // for an exactly 64x64 image `dihedral` comes from the blurred buffer and
  // dihedral[0] can, rarely, differ from `hash` (1 in 3000 random 64x64
  // images, by 2 bits); at every other size they are the same hash.
  const dihedralDct =
    width === 64 && height === 64
      ? pdqDct(pdqDownsample64(pixels, width, height, channels, { blurAt64: true }))
      : dct
  return {
    hash: pdqHashFromDct(dct),
    quality: pdqQuality(buffer),
    dihedral: dihedralDcts(dihedralDct).map(pdqHashFromDct),
  }
}

function checkInput(pixels: Pixels, width: number, height: number, channels: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new RangeError(`PDQ: bad image size ${width}x${height}`)
  }
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new RangeError(`PDQ: unsupported channel count ${channels}`)
  }
  if (pixels.length < width * height * channels) {
    throw new RangeError(
      `PDQ: ${pixels.length} bytes is too few for ${width}x${height} with ${channels} channels`,
    )
  }
}

// The reference's float32 BT.601 weights (C++ `0.299f` etc.), and each
// weight times every byte value, rounded to float32 as the C++ float product
// is. Looking the products up is exact and cheaper than three multiplies.
const LUMA_R = Math.fround(0.299)
const LUMA_G = Math.fround(0.587)
const LUMA_B = Math.fround(0.114)
const TIMES_R = Float32Array.from({ length: 256 }, (_, v) => LUMA_R * v)
const TIMES_G = Float32Array.from({ length: 256 }, (_, v) => LUMA_G * v)
const TIMES_B = Float32Array.from({ length: 256 }, (_, v) => LUMA_B * v)

function lumaRow(
  pixels: Uint8Array,
  rowStart: number,
  width: number,
  channels: number,
  out: Float32Array,
  outOffset: number,
): void {
  if (channels === 1) {
    for (let x = 0; x < width; x++) out[outOffset + x] = pixels[rowStart + x]!
    return
  }
  // R+G is rounded to float32 before B is added: the reference's order.
  for (let x = 0, p = rowStart; x < width; x++, p += channels) {
    const rg = Math.fround(TIMES_R[pixels[p]!]! + TIMES_G[pixels[p + 1]!]!)
    out[outOffset + x] = rg + TIMES_B[pixels[p + 2]!]!
  }
}

/** Jarosz window: ceil(dim / 128), half a 1/64 cell, because the box is applied twice. */
function windowSize(dimension: number): number {
  return Math.floor((dimension + 127) / 128)
}

/**
 * Rows are filtered four at a time. The reference keeps one float32 running
 * sum per row whose accumulated rounding is part of the output, so each sum
 * is a serial chain of add-and-round steps; one chain alone leaves the CPU
 * waiting on latency, four independent ones overlap. Batches at the end of
 * the image are padded with throwaway rows.
 */
const BATCH = 4

/*
 * Division by the window count is done as a multiplication by 1/count in
 * double, rounded to float32 on store, and that equals the reference's
 * float32 s / count bit for bit. A float32 rounding midpoint M has 25
 * significant bits, so count * M (at least 25) never equals s (at most 24);
 * both are multiples of the finer of their two grids, so s / count is at
 * least that grid step / count away from M, about 2^-25 / count relative.
 * The double product is within 2^-52 relative of s / count, so for any
 * count below 2^27 both land on the same side of every midpoint. (Also
 * checked exhaustively: every float32 in one binade, counts 1..300.) This
 * takes the slow divide out of the per-pixel loops.
 */

/**
 * Box filter of width `w` along four rows of `n` samples (src rows at 0, n,
 * 2n, 3n), output row t written to dst from offset dt.
 *
 * Per row this is exactly the reference's sequence: add the entering sample,
 * then subtract the leaving one, rounding the sum to float32 after each, and
 * divide by the current window size; the window is truncated at both ends.
 */
function boxRows4(
  src: Float32Array,
  n: number,
  w: number,
  dst: Float32Array,
  d0: number,
  d1: number,
  d2: number,
  d3: number,
): void {
  const half = (w + 2) >> 1
  const n2 = 2 * n
  const n3 = 3 * n
  let s0 = 0
  let s1 = 0
  let s2 = 0
  let s3 = 0
  let count = 0
  let ri = 0
  let o = 0
  for (; ri < half - 1; ri++) {
    s0 = Math.fround(s0 + src[ri]!)
    s1 = Math.fround(s1 + src[n + ri]!)
    s2 = Math.fround(s2 + src[n2 + ri]!)
    s3 = Math.fround(s3 + src[n3 + ri]!)
    count++
  }
  for (; ri < w; ri++, o++) {
    s0 = Math.fround(s0 + src[ri]!)
    s1 = Math.fround(s1 + src[n + ri]!)
    s2 = Math.fround(s2 + src[n2 + ri]!)
    s3 = Math.fround(s3 + src[n3 + ri]!)
    const inv = 1 / ++count
    dst[d0 + o] = s0 * inv
    dst[d1 + o] = s1 * inv
    dst[d2 + o] = s2 * inv
    dst[d3 + o] = s3 * inv
  }
  carried[0] = s0
  carried[1] = s1
  carried[2] = s2
  carried[3] = s3
  slideRows4(src, n, w, o, dst, d0, d1, d2, d3)
  s0 = carried[0]!
  s1 = carried[1]!
  s2 = carried[2]!
  s3 = carried[3]!
  for (let li = n - w, oi = o + n - w; oi < n; li++, oi++) {
    s0 = Math.fround(s0 - src[li]!)
    s1 = Math.fround(s1 - src[n + li]!)
    s2 = Math.fround(s2 - src[n2 + li]!)
    s3 = Math.fround(s3 - src[n3 + li]!)
    const inv = 1 / --count
    dst[d0 + oi] = s0 * inv
    dst[d1 + oi] = s1 * inv
    dst[d2 + oi] = s2 * inv
    dst[d3 + oi] = s3 * inv
  }
}

/*
 * The full-window stretch, where nearly all the time goes, is its own
 * function with the four running sums passed through `carried` (float32
 * values are exact in a Float64Array). Inlined after the start-up loop, V8
 * on-stack-compiles it before the end-of-row loop has ever run, and that
 * code then deoptimises on every row for a while: about 70 times in the
 * first 12 MP image.
 */
const carried = new Float64Array(4)

function slideRows4(
  src: Float32Array,
  n: number,
  w: number,
  firstOut: number,
  dst: Float32Array,
  d0: number,
  d1: number,
  d2: number,
  d3: number,
): void {
  const inv = 1 / w
  const n2 = 2 * n
  const n3 = 3 * n
  let s0 = carried[0]!
  let s1 = carried[1]!
  let s2 = carried[2]!
  let s3 = carried[3]!
  for (let ri = w, li = 0, o = firstOut; ri < n; ri++, li++, o++) {
    s0 = Math.fround(Math.fround(s0 + src[ri]!) - src[li]!)
    s1 = Math.fround(Math.fround(s1 + src[n + ri]!) - src[n + li]!)
    s2 = Math.fround(Math.fround(s2 + src[n2 + ri]!) - src[n2 + li]!)
    s3 = Math.fround(Math.fround(s3 + src[n3 + ri]!) - src[n3 + li]!)
    dst[d0 + o] = s0 * inv
    dst[d1 + o] = s1 * inv
    dst[d2 + o] = s2 * inv
    dst[d3 + o] = s3 * inv
  }
  carried[0] = s0
  carried[1] = s1
  carried[2] = s2
  carried[3] = s3
}

/**
 * boxRows4, but only the outputs at `picks` (ascending, may repeat,
 * terminated by -1) are written, the k-th to dst[dt + k]. The running sums
 * still walk the whole row because every output carries the rounding of all
 * the steps before it.
 */
function boxRows4Picked(
  src: Float32Array,
  n: number,
  w: number,
  picks: Int32Array,
  dst: Float32Array,
  d0: number,
  d1: number,
  d2: number,
  d3: number,
): void {
  const half = (w + 2) >> 1
  const n2 = 2 * n
  const n3 = 3 * n
  let s0 = 0
  let s1 = 0
  let s2 = 0
  let s3 = 0
  let count = 0
  let ri = 0
  let o = 0
  let k = 0
  for (; ri < half - 1; ri++) {
    s0 = Math.fround(s0 + src[ri]!)
    s1 = Math.fround(s1 + src[n + ri]!)
    s2 = Math.fround(s2 + src[n2 + ri]!)
    s3 = Math.fround(s3 + src[n3 + ri]!)
    count++
  }
  for (; ri < w; ri++, o++) {
    s0 = Math.fround(s0 + src[ri]!)
    s1 = Math.fround(s1 + src[n + ri]!)
    s2 = Math.fround(s2 + src[n2 + ri]!)
    s3 = Math.fround(s3 + src[n3 + ri]!)
    count++
    for (const inv = 1 / count; picks[k] === o; k++) {
      dst[d0 + k] = s0 * inv
      dst[d1 + k] = s1 * inv
      dst[d2 + k] = s2 * inv
      dst[d3 + k] = s3 * inv
    }
  }
  carried[0] = s0
  carried[1] = s1
  carried[2] = s2
  carried[3] = s3
  k = slideRows4Picked(src, n, w, o, picks, k, dst, d0, d1, d2, d3)
  s0 = carried[0]!
  s1 = carried[1]!
  s2 = carried[2]!
  s3 = carried[3]!
  for (let li = n - w, oi = o + n - w; oi < n; li++, oi++) {
    s0 = Math.fround(s0 - src[li]!)
    s1 = Math.fround(s1 - src[n + li]!)
    s2 = Math.fround(s2 - src[n2 + li]!)
    s3 = Math.fround(s3 - src[n3 + li]!)
    count--
    for (const inv = 1 / count; picks[k] === oi; k++) {
      dst[d0 + k] = s0 * inv
      dst[d1 + k] = s1 * inv
      dst[d2 + k] = s2 * inv
      dst[d3 + k] = s3 * inv
    }
  }
}

/** slideRows4 for boxRows4Picked; returns the next pick index. */
function slideRows4Picked(
  src: Float32Array,
  n: number,
  w: number,
  firstOut: number,
  picks: Int32Array,
  firstPick: number,
  dst: Float32Array,
  d0: number,
  d1: number,
  d2: number,
  d3: number,
): number {
  const inv = 1 / w
  const n2 = 2 * n
  const n3 = 3 * n
  let s0 = carried[0]!
  let s1 = carried[1]!
  let s2 = carried[2]!
  let s3 = carried[3]!
  let k = firstPick
  let next = picks[k]!
  for (let ri = w, li = 0, o = firstOut; ri < n; ri++, li++, o++) {
    s0 = Math.fround(Math.fround(s0 + src[ri]!) - src[li]!)
    s1 = Math.fround(Math.fround(s1 + src[n + ri]!) - src[n + li]!)
    s2 = Math.fround(Math.fround(s2 + src[n2 + ri]!) - src[n2 + li]!)
    s3 = Math.fround(Math.fround(s3 + src[n3 + ri]!) - src[n3 + li]!)
    for (; next === o; next = picks[++k]!) {
      dst[d0 + k] = s0 * inv
      dst[d1 + k] = s1 * inv
      dst[d2 + k] = s2 * inv
      dst[d3 + k] = s3 * inv
    }
  }
  carried[0] = s0
  carried[1] = s1
  carried[2] = s2
  carried[3] = s3
  return k
}

/**
 * A box filter down columns, fed one row at a time.
 *
 * The reference filters each column on its own, striding through memory,
 * which is what makes it slow on large images. Here every column (lane)
 * keeps its own float32 running sum and receives exactly the same sequence of
 * adds, subtracts and divisions as in the reference, so the output is
 * identical, while all memory access is row-major.
 *
 * The ring keeps the last w input rows (still to be subtracted) plus BATCH
 * slots the caller fills before pushing them.
 */
class ColumnBox {
  readonly ring: Float32Array
  private readonly sums: Float32Array
  private readonly half: number
  private readonly slots: number
  private pushed = 0
  private emitted = 0
  private count = 0

  constructor(
    readonly lanes: number,
    private readonly n: number,
    private readonly w: number,
  ) {
    this.half = (w + 2) >> 1
    this.slots = w + BATCH
    this.ring = new Float32Array(this.slots * lanes)
    this.sums = new Float32Array(lanes)
  }

  /**
   * Where in `ring` the caller writes input row `pushed + t` (t < BATCH).
   * Slots past the last row are free too, so padding rows may go there.
   */
  rowOffset(t: number): number {
    return ((this.pushed + t) % this.slots) * this.lanes
  }

  /**
   * Consumes the next input row. Returns the index of the output row it
   * completed, written to out[outOffset...], or -1.
   */
  push(out: Float32Array, outOffset: number): number {
    const r = this.pushed++
    const { lanes, ring, sums, w } = this
    const a = (r % this.slots) * lanes
    if (r < w) {
      addRow(sums, ring, a, lanes)
      const inv = 1 / ++this.count
      if (r < this.half - 1) return -1
      scaleRow(sums, inv, out, outOffset, lanes)
    } else {
      const b = ((r - w) % this.slots) * lanes
      slideRow(sums, ring, a, b, 1 / this.count, out, outOffset, lanes)
    }
    return this.emitted++
  }

  /** After all rows are pushed: emits the trailing (shrinking-window) rows one per call, then -1. */
  drain(out: Float32Array, outOffset: number): number {
    const o = this.emitted
    if (o >= this.n) return -1
    const leaving = o - (this.w - this.half) - 1
    const b = (leaving % this.slots) * this.lanes
    dropRow(this.sums, this.ring, b, 1 / --this.count, out, outOffset, this.lanes)
    return this.emitted++
  }
}

function addRow(sums: Float32Array, ring: Float32Array, a: number, lanes: number): void {
  // Float32Array stores round each sum.
  for (let c = 0; c < lanes; c++) sums[c] = sums[c]! + ring[a + c]!
}

function scaleRow(sums: Float32Array, inv: number, out: Float32Array, o: number, lanes: number): void {
  for (let c = 0; c < lanes; c++) out[o + c] = sums[c]! * inv
}

function slideRow(
  sums: Float32Array,
  ring: Float32Array,
  a: number,
  b: number,
  inv: number,
  out: Float32Array,
  o: number,
  lanes: number,
): void {
  for (let c = 0; c < lanes; c++) {
    const s = Math.fround(Math.fround(sums[c]! + ring[a + c]!) - ring[b + c]!)
    sums[c] = s
    out[o + c] = s * inv
  }
}

function dropRow(
  sums: Float32Array,
  ring: Float32Array,
  b: number,
  inv: number,
  out: Float32Array,
  o: number,
  lanes: number,
): void {
  for (let c = 0; c < lanes; c++) {
    const s = Math.fround(sums[c]! - ring[b + c]!)
    sums[c] = s
    out[o + c] = s * inv
  }
}

/** Cell-centre sample positions, computed in double as the reference does; -1 terminated. */
function decimationPicks(dimension: number): Int32Array {
  const picks = new Int32Array(65)
  for (let i = 0; i < 64; i++) picks[i] = Math.floor(((i + 0.5) * dimension) / 64)
  picks[64] = -1
  return picks
}

/**
 * Luma, two rounds of Jarosz box filtering (rows then columns) and decimation
 * to the 64x64 float32 buffer (row-major) that quality and the DCT read.
 *
 * The whole chain is streamed: round 1's column filter hands each finished
 * row to round 2, and round 2 only evaluates the 64 sampled columns (its
 * columns are independent) and keeps the 64 sampled rows. No full-size
 * intermediate plane exists, so a 12 MP image needs about a megabyte of
 * scratch instead of two 48 MB float planes, and it stays in cache.
 *
 * `blurAt64` reproduces the reference's dihedral path, which blurs even an
 * exactly 64x64 image.
 */
export function pdqDownsample64(
  pixels: Pixels,
  width: number,
  height: number,
  channels: PdqChannels,
  options: { blurAt64?: boolean } = {},
): Float32Array {
  checkInput(pixels, width, height, channels)
  if (width < 5 || height < 5) {
    throw new RangeError(`PDQ: ${width}x${height} is below the 5x5 minimum`)
  }
  // Always a plain Uint8Array view (zero-copy) so the hot loops see one
  // receiver type: canvas gives Uint8ClampedArray, Node gives Buffer, and a
  // loop that has seen several reads pixels more slowly.
  const bytes = new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.length)
  const result = new Float32Array(64 * 64)
  const rowBytes = width * channels
  if (width === 64 && height === 64 && !options.blurAt64) {
    // The reference skips blur and decimation at exactly 64x64 (for video
    // frames already scaled by ffmpeg), except on its dihedral path.
    for (let y = 0; y < 64; y++) lumaRow(bytes, y * rowBytes, 64, channels, result, y * 64)
    return result
  }

  const wAlongRow = windowSize(width)
  const wAlongCol = windowSize(height)
  const colPicks = decimationPicks(width)
  const rowPicks = decimationPicks(height)

  const lumaRows = new Float32Array(BATCH * width)
  const round1 = new ColumnBox(width, height, wAlongCol)
  const round1Rows = new Float32Array(BATCH * width)
  let round1Count = 0
  const round2 = new ColumnBox(64, height, wAlongCol)
  const round2Row = new Float32Array(64)
  let filled = 0

  const intoRound2 = (): void => {
    boxRows4Picked(
      round1Rows,
      width,
      wAlongRow,
      colPicks,
      round2.ring,
      round2.rowOffset(0),
      round2.rowOffset(1),
      round2.rowOffset(2),
      round2.rowOffset(3),
    )
    for (let t = 0; t < round1Count && filled < 64; t++) {
      const o = round2.push(round2Row, 0)
      if (o >= 0) filled = keepSampledRows(o, round2Row, rowPicks, filled, result)
    }
    round1Count = 0
  }
  const fromRound1 = (o: number): void => {
    if (o < 0) return
    if (++round1Count === BATCH) intoRound2()
  }

  for (let y = 0; y < height && filled < 64; y += BATCH) {
    const rows = Math.min(BATCH, height - y)
    for (let t = 0; t < rows; t++) {
      lumaRow(bytes, (y + t) * rowBytes, width, channels, lumaRows, t * width)
    }
    boxRows4(
      lumaRows,
      width,
      wAlongRow,
      round1.ring,
      round1.rowOffset(0),
      round1.rowOffset(1),
      round1.rowOffset(2),
      round1.rowOffset(3),
    )
    for (let t = 0; t < rows; t++) fromRound1(round1.push(round1Rows, round1Count * width))
  }
  let o1: number
  while (filled < 64 && (o1 = round1.drain(round1Rows, round1Count * width)) >= 0) fromRound1(o1)
  if (round1Count > 0 && filled < 64) intoRound2()
  let o2: number
  while (filled < 64 && (o2 = round2.drain(round2Row, 0)) >= 0) {
    filled = keepSampledRows(o2, round2Row, rowPicks, filled, result)
  }
  return result
}

function keepSampledRows(
  row: number,
  values: Float32Array,
  rowPicks: Int32Array,
  filled: number,
  result: Float32Array,
): number {
  // Small images map several output rows to one source row, hence the loop.
  while (filled < 64 && rowPicks[filled] === row) {
    result.set(values, filled * 64)
    filled++
  }
  return filled
}

/** 0..100 from the 64x64 buffer: summed gradient magnitudes / 90. */
export function pdqQuality(buffer: Float32Array): number {
  let gradientSum = 0
  for (let i = 0; i < 63; i++) {
    for (let j = 0; j < 64; j++) {
      gradientSum += Math.abs(gradientStep(buffer[i * 64 + j]!, buffer[(i + 1) * 64 + j]!))
    }
  }
  for (let i = 0; i < 64; i++) {
    for (let j = 0; j < 63; j++) {
      gradientSum += Math.abs(gradientStep(buffer[i * 64 + j]!, buffer[i * 64 + j + 1]!))
    }
  }
  return Math.min(100, Math.floor(gradientSum / 90))
}

function gradientStep(u: number, v: number): number {
  // float32 (u - v), then * 100, then / 255, each a C++ float op, then
  // truncation toward zero as the reference's int conversion does.
  return Math.trunc(Math.fround(Math.fround(Math.fround(u - v) * 100) / 255))
}

let dctMatrix: Float32Array | undefined

/** The 16x64 float32 DCT-II matrix, rows 1..16 (DC skipped). Returns a copy. */
export function pdqDctMatrix(): Float32Array {
  return getDctMatrix().slice()
}

function getDctMatrix(): Float32Array {
  if (dctMatrix) return dctMatrix
  const m = new Float32Array(16 * 64)
  // The scale factor is a float32 in the reference but the cosine is double;
  // their double product is rounded once on store.
  const scale = Math.fround(Math.sqrt(2 / 64))
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 64; j++) {
      m[i * 64 + j] = scale * Math.cos((Math.PI / 2 / 64) * (i + 1) * (2 * j + 1))
    }
  }
  dctMatrix = m
  return m
}

/**
 * The 16x16 DCT block B = D * A * D^T, row-major, B[i][j] with i the vertical
 * frequency. Each product and each partial sum is a float32 (no FMA), summed
 * with k increasing, D * A first.
 */
export function pdqDct(buffer: Float32Array): Float32Array {
  const d = getDctMatrix()
  const t = new Float32Array(16 * 64)
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 64; j++) {
      let sum = 0
      for (let k = 0; k < 64; k++) {
        sum = Math.fround(sum + Math.fround(d[i * 64 + k]! * buffer[k * 64 + j]!))
      }
      t[i * 64 + j] = sum
    }
  }
  const b = new Float32Array(256)
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 16; j++) {
      let sum = 0
      for (let k = 0; k < 64; k++) {
        sum = Math.fround(sum + Math.fround(t[i * 64 + k]! * d[j * 64 + k]!))
      }
      b[i * 16 + j] = sum
    }
  }
  return b
}

/**
 * The 128th smallest of the 256 DCT values. The reference uses Torben's
 * selection, which returns this same element, ties included.
 */
export function pdqMedian(dct: Float32Array): number {
  const sorted = Float32Array.from(dct).sort()
  return sorted[127]!
}

/**
 * Threshold at the median and format: bit 16*i + j is set when B[i][j] > m
 * (strict); hex is row 15 first, each row a %04x word with column j in bit j.
 */
export function pdqHashFromDct(dct: Float32Array): string {
  const median = pdqMedian(dct)
  let hex = ''
  for (let i = 15; i >= 0; i--) {
    let word = 0
    for (let j = 0; j < 16; j++) {
      if (dct[i * 16 + j]! > median) word |= 1 << j
    }
    hex += word.toString(16).padStart(4, '0')
  }
  return hex
}

/**
 * The 8 dihedral variants of the DCT block, in DIHEDRAL_ORDER. Row i holds
 * frequency i+1, so a flip negates the even-indexed (odd-frequency) rows or
 * columns, and a transpose swaps i and j. Negation is exact in float32.
 */
function dihedralDcts(b: Float32Array): Float32Array[] {
  const variants = Array.from({ length: 8 }, () => new Float32Array(256))
  const [original, rot90, rot180, rot270, flipX, flipY, flipPlus1, flipMinus1] = variants as [
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
  ]
  for (let i = 0; i < 16; i++) {
    const iOdd = (i & 1) === 1
    for (let j = 0; j < 16; j++) {
      const jOdd = (j & 1) === 1
      const v = b[i * 16 + j]!
      const ij = i * 16 + j
      const ji = j * 16 + i
      original[ij] = v
      rot90[ji] = jOdd ? v : -v
      rot180[ij] = iOdd !== jOdd ? -v : v
      rot270[ji] = iOdd ? v : -v
      flipX[ij] = iOdd ? v : -v
      flipY[ij] = jOdd ? v : -v
      flipPlus1[ji] = v
      flipMinus1[ji] = iOdd !== jOdd ? -v : v
    }
  }
  return variants
}
