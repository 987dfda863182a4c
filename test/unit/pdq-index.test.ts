import { describe, expect, it } from 'vitest'
import { hammingDistance } from '../../app/hashing/pdq'
import { bruteForceSearch, PDQ_MAX_RADIUS, PdqIndex, pdqBytesToHex, pdqHexToBytes } from '../../app/matching/pdq-index'
import { readCsv } from '../helpers/vectors'

/** mulberry32: fixed seed, so a failure can be replayed. */
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

function randomHash(random: () => number): Uint8Array {
  const bytes = new Uint8Array(32)
  for (let i = 0; i < 32; i++) bytes[i] = random() & 0xff
  return bytes
}

/** A copy of `hash` with exactly `count` distinct bits flipped. */
function flip(hash: Uint8Array, count: number, random: () => number): Uint8Array {
  const copy = hash.slice()
  const bits = new Set<number>()
  while (bits.size < count) bits.add(random() & 255)
  for (const bit of bits) copy[bit >>> 3]! ^= 1 << (bit & 7)
  return copy
}

/** The index's content mirrored as the flat arrays bruteForceSearch reads. */
function flat(entries: Map<number, Uint8Array>) {
  const ids = new Uint32Array([...entries.keys()])
  const hashes = new Uint8Array(ids.length * 32)
  ids.forEach((id, i) => hashes.set(entries.get(id)!, i * 32))
  return { ids, hashes }
}

describe('PdqIndex', () => {
  it('finds planted near-duplicates at every distance 0..31 with the right distance, and none at 32 or more', () => {
    const random = prng(1)
    const index = new PdqIndex()
    const query = randomHash(random)
    for (let i = 0; i < 20_000; i++) index.add(100_000 + i, randomHash(random))
    for (let d = 0; d <= 40; d++) index.add(d, flip(query, d, random))
    for (const compacted of [false, true]) {
      if (compacted) index.compact()
      const found = index.search(query)
      expect(found).toEqual(Array.from({ length: 32 }, (_, d) => ({ id: d, distance: d })))
      // Smaller radii use smaller per-chunk radii; still exact.
      for (const max of [0, 7, 8, 15, 16, 24, 30]) {
        expect(index.search(query, max)).toEqual(found.filter((m) => m.distance <= max))
      }
    }
  })

  it('returns exactly what brute force returns on random data, before and after compact', () => {
    const random = prng(2)
    const entries = new Map<number, Uint8Array>()
    const index = new PdqIndex({ expectedSize: 30_000 })
    const queries: Uint8Array[] = []
    for (let q = 0; q < 60; q++) queries.push(randomHash(random))
    for (let i = 0; i < 30_000; i++) {
      // A third of the entries sit near some query, at distances up to 40.
      const hash = i % 3 === 0 ? flip(queries[(i / 3) % queries.length]!, random() % 41, random) : randomHash(random)
      const id = random() // caller-chosen, unordered
      entries.set(id, hash)
      index.add(id, hash)
    }
    const { ids, hashes } = flat(entries)
    const check = () => {
      for (const query of queries) {
        const expected = bruteForceSearch(hashes, ids, query, PDQ_MAX_RADIUS)
        expect(expected.length).toBeGreaterThan(0)
        expect(index.search(query)).toEqual(expected)
        expect(index.search(pdqBytesToHex(query), 12)).toEqual(bruteForceSearch(hashes, ids, query, 12))
      }
    }
    check()
    index.compact()
    expect(index.size).toBe(entries.size)
    check()
  })

  it('agrees with brute force at every size from 1 to 300, on clustered hashes that share chunks', () => {
    const random = prng(4)
    const seed = randomHash(random)
    for (const n of [1, 2, 5, 31, 49, 64, 65, 127, 300]) {
      const entries = new Map<number, Uint8Array>()
      const index = new PdqIndex()
      for (let i = 0; i < n; i++) {
        const hash = flip(seed, random() % 48, random)
        entries.set(i * 7, hash)
        index.add(i * 7, hash)
      }
      index.compact()
      const { ids, hashes } = flat(entries)
      for (let q = 0; q < 10; q++) {
        const query = flip(seed, random() % 24, random)
        expect(index.search(query), `n = ${n}`).toEqual(bruteForceSearch(hashes, ids, query, 31))
      }
    }
  })

  it('adds, replaces and removes before and after compact, and search stays right throughout', () => {
    const random = prng(3)
    const entries = new Map<number, Uint8Array>()
    const index = new PdqIndex()
    const base = randomHash(random)
    const put = (id: number, hash: Uint8Array) => {
      entries.set(id, hash)
      index.add(id, hash)
    }
    const agree = () => {
      const { ids, hashes } = flat(entries)
      expect(index.size).toBe(entries.size)
      expect(index.search(base)).toEqual(bruteForceSearch(hashes, ids, base, 31))
    }
    for (let id = 0; id < 2000; id++) put(id, id % 4 === 0 ? flip(base, id % 32, random) : randomHash(random))
    agree()
    // In the delta: replace one near hash with a far one, remove another.
    put(4, randomHash(random))
    expect(index.remove(8)).toBe(true)
    entries.delete(8)
    expect(index.has(8)).toBe(false)
    expect(index.remove(8)).toBe(false)
    agree()
    index.compact()
    agree()
    // In the static part: replace (the old copy is tombstoned), remove, re-add.
    put(12, flip(base, 3, random))
    put(1, flip(base, 0, random))
    expect(index.remove(16)).toBe(true)
    entries.delete(16)
    expect(index.remove(16)).toBe(false)
    expect(index.has(16)).toBe(false)
    expect(index.has(20)).toBe(true)
    agree()
    put(16, flip(base, 31, random))
    expect(index.has(16)).toBe(true)
    agree()
    // Replaced again while in the delta, then removed from it.
    put(12, randomHash(random))
    expect(index.remove(1)).toBe(true)
    entries.delete(1)
    agree()
    index.compact()
    agree()
    // Everything removed, then compacted to nothing.
    for (const id of [...entries.keys()]) expect(index.remove(id)).toBe(true)
    entries.clear()
    agree()
    index.compact()
    expect(index.size).toBe(0)
    expect(index.search(base)).toEqual([])
    expect(index.memoryBytes()).toBeLessThan(10_000)
  })

  it('rejects a radius over 31, bad ids and malformed hashes', () => {
    const index = new PdqIndex()
    const hash = 'f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22'
    index.add(7, hash)
    expect(() => index.search(hash, 32)).toThrow(RangeError)
    expect(() => index.search(hash, -1)).toThrow(RangeError)
    expect(() => index.search(hash, 2.5)).toThrow(RangeError)
    expect(() => bruteForceSearch(new Uint8Array(32), new Uint32Array(1), new Uint8Array(32), 32)).toThrow(RangeError)
    expect(() => index.add(-1, hash)).toThrow(RangeError)
    expect(() => index.add(2 ** 32, hash)).toThrow(RangeError)
    expect(() => index.add(1, hash.slice(1))).toThrow(TypeError)
    expect(() => index.add(1, new Uint8Array(31))).toThrow(TypeError)
    expect(() => index.search('z'.repeat(64))).toThrow(TypeError)
    expect(index.size).toBe(1)
    expect(index.search(hash.toUpperCase(), 0)).toEqual([{ id: 7, distance: 0 }])
  })

  it('converts hex to bytes and back, and refuses anything but 64 hex characters', () => {
    const hex = '0007001f003f003f007f00ff00ff00ff01ff01ff01ff03ff03ff03ff03ff03ff'
    const bytes = pdqHexToBytes(hex)
    expect(bytes).toHaveLength(32)
    expect([bytes[0], bytes[1], bytes[31]]).toEqual([0x00, 0x07, 0xff])
    expect(pdqBytesToHex(bytes)).toBe(hex)
    for (const bad of ['', hex.slice(2), hex + '00', hex.replace('0', 'g'), ` ${hex.slice(1)}`]) {
      expect(() => pdqHexToBytes(bad), bad).toThrow('A PDQ hash is 64 hexadecimal characters (256 bits).')
    }
  })

  it('matches the reference PDQ vectors: each edited bridge photo finds the original, and rotations only through their dihedral hash', () => {
    const rows = readCsv('expected/reference-hashes.csv')
    const dihedral = readCsv('expected/reference-dihedral.csv').filter((r) => r.pipeline === 'fullres')
    const original = rows.find((r) => r.image === 'images/bridge-mods/aaa-orig.jpg')!.ref_fullres_hash!
    const index = new PdqIndex()
    // Index every reference image's full-resolution hash under its row number.
    rows.forEach((r, i) => index.add(i, r.ref_fullres_hash!))
    const originalId = rows.findIndex((r) => r.image === 'images/bridge-mods/aaa-orig.jpg')
    for (const compacted of [false, true]) {
      if (compacted) index.compact()
      for (const row of rows.filter((r) => r.image!.startsWith('images/bridge-mods/'))) {
        const found = index.search(row.ref_fullres_hash!)
        const expected = hammingDistance(row.ref_fullres_hash!, original)
        expect(expected, row.image).toBeLessThanOrEqual(31)
        expect(found, row.image).toContainEqual({ id: originalId, distance: expected })
      }
      // The rotated and flipped bridge photos are far from the original...
      const rotated = rows.find((r) => r.image === 'images/reg-test-input/dih/bridge-2-rotate-90.jpg')!.ref_fullres_hash!
      expect(index.search(rotated).map((m) => m.id)).not.toContain(originalId)
      // ...and near the matching dihedral variant of it.
      const variants = dihedral.find((r) => r.image === 'images/bridge-mods/aaa-orig.jpg')!
      const byRotation = index.search(variants.rotate90!)
      expect(byRotation.map((m) => rows[m.id]!.image)).toContain('images/reg-test-input/dih/bridge-2-rotate-90.jpg')
      // Unrelated photos do not match the bridge.
      const unrelated = rows.find((r) => r.image === 'images/reg-test-input/labelme-subset/q0122.jpg')!.ref_fullres_hash!
      expect(index.search(unrelated).map((m) => rows[m.id]!.image)).toEqual(['images/reg-test-input/labelme-subset/q0122.jpg'])
    }
  })
})
