import { inflateSync } from 'node:zlib'

/**
 * Decoder for the minimal PNGs in the PDQ vectors: IHDR, IDAT, IEND only,
 * 8-bit grey or RGB, not interlaced. Anything else is rejected with an error
 * naming the feature, because a silent mis-decode would show up as a PDQ
 * mismatch and send someone hunting in the wrong place.
 */

export type DecodedPng = {
  width: number
  height: number
  channels: 1 | 3
  pixels: Uint8Array
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

export type PngChunk = { type: string; data: Uint8Array }

/** Splits a PNG into chunks up to IEND, checking the signature and every CRC. */
export function pngChunks(bytes: Uint8Array, name = 'PNG'): PngChunk[] {
  const fail: (why: string) => never = failer(name)
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) fail('not a PNG (bad signature)')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const chunks: PngChunk[] = []
  let pos = 8
  while (pos < bytes.length) {
    if (pos + 12 > bytes.length) fail('truncated chunk header')
    const length = view.getUint32(pos)
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8))
    const dataEnd = pos + 8 + length
    if (dataEnd + 4 > bytes.length) fail(`truncated ${type} chunk`)
    if (crc32(bytes.subarray(pos + 4, dataEnd)) !== view.getUint32(dataEnd)) {
      fail(`CRC mismatch in ${type} chunk`)
    }
    chunks.push({ type, data: bytes.subarray(pos + 8, dataEnd) })
    pos = dataEnd + 4
    if (type === 'IEND') return chunks
  }
  return fail('no IEND')
}

export function decodeMinimalPng(bytes: Uint8Array, name = 'PNG'): DecodedPng {
  const fail: (why: string) => never = failer(name)
  const chunks = pngChunks(bytes, name)
  const ihdr = chunks[0]
  if (ihdr?.type !== 'IHDR') return fail('first chunk is not IHDR')
  if (ihdr.data.length !== 13) fail('IHDR must be 13 bytes')
  const view = new DataView(ihdr.data.buffer, ihdr.data.byteOffset, 13)
  const width = view.getUint32(0)
  const height = view.getUint32(4)
  const [bitDepth, colourType, compression, filterMethod, interlace] = ihdr.data.subarray(8, 13)
  if (width === 0 || height === 0) fail(`bad size ${width}x${height}`)
  if (bitDepth !== 8) fail(`unsupported bit depth ${bitDepth} (only 8)`)
  if (colourType !== 0 && colourType !== 2) {
    fail(`unsupported colour type ${colourType} (only 0 grey and 2 RGB)`)
  }
  if (compression !== 0) fail(`unknown compression method ${compression}`)
  if (filterMethod !== 0) fail(`unknown filter method ${filterMethod}`)
  if (interlace !== 0) fail(`unsupported interlace method ${interlace} (only 0)`)

  const idat: Uint8Array[] = []
  for (const chunk of chunks.slice(1)) {
    if (chunk.type === 'IDAT') idat.push(chunk.data)
    else if (chunk.type === 'IHDR') fail('second IHDR')
    else if (chunk.type !== 'IEND') {
      // Even ancillary chunks (gAMA, iCCP, tRNS...) would change what the
      // pixels mean, and the vectors promise there are none.
      fail(`unsupported chunk ${chunk.type} (only IHDR, IDAT, IEND)`)
    }
  }
  if (idat.length === 0) fail('no IDAT')

  const channels = colourType === 0 ? 1 : 3
  const raw = inflateSync(Buffer.concat(idat))
  return { width, height, channels, pixels: unfilterPngRows(raw, width, height, channels, name) }
}

function failer(name: string): (why: string) => never {
  return (why) => {
    throw new Error(`${name}: ${why}`)
  }
}

/**
 * Undoes PNG's per-row filters (None, Sub, Up, Average, Paeth) for 8-bit
 * samples, `bpp` bytes per pixel. `raw` is the inflated IDAT stream.
 */
export function unfilterPngRows(
  raw: Uint8Array,
  width: number,
  height: number,
  bpp: number,
  name = 'PNG',
): Uint8Array {
  const fail: (why: string) => never = failer(name)
  const stride = width * bpp
  if (raw.length !== height * (stride + 1)) {
    fail(`inflated ${raw.length} bytes, expected ${height * (stride + 1)}`)
  }
  return unfilter(raw, width, height, bpp, fail)
}

function unfilter(
  raw: Uint8Array,
  width: number,
  height: number,
  bpp: number,
  fail: (why: string) => never,
): Uint8Array {
  const stride = width * bpp
  const out = new Uint8Array(stride * height)
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!
    const src = y * (stride + 1) + 1
    const row = y * stride
    const prev = row - stride
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? out[row + x - bpp]! : 0
      const b = y > 0 ? out[prev + x]! : 0
      const c = x >= bpp && y > 0 ? out[prev + x - bpp]! : 0
      let predictor: number
      switch (filter) {
        case 0:
          predictor = 0
          break
        case 1:
          predictor = a
          break
        case 2:
          predictor = b
          break
        case 3:
          predictor = (a + b) >> 1
          break
        case 4:
          predictor = paeth(a, b, c)
          break
        default:
          return fail(`row ${y} has unknown filter type ${filter}`)
      }
      out[row + x] = (raw[src + x]! + predictor) & 0xff
    }
  }
  return out
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c
  const pa = Math.abs(p - a)
  const pb = Math.abs(p - b)
  const pc = Math.abs(p - c)
  if (pa <= pb && pa <= pc) return a
  return pb <= pc ? b : c
}

let crcTable: Uint32Array | undefined

function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256)
    for (let n = 0; n < 256; n++) {
      let c = n
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
      crcTable[n] = c >>> 0
    }
  }
  let crc = 0xffffffff
  for (const byte of bytes) crc = crcTable[(crc ^ byte) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}
