import { describe, expect, it } from 'vitest'
import { hashFile, type ImageHashes } from '../../app/cli/hash-file'
import { DIHEDRAL_ORDER, hammingDistance } from '../../app/hashing/pdq'
import { readCsv, vectorPath } from '../helpers/vectors'

const references = readCsv('expected/reference-hashes.csv')
const dihedral = new Map(
  readCsv('expected/reference-dihedral.csv')
    .filter((r) => r.pipeline === 'fullres')
    .map((r) => [r.image!, DIHEDRAL_ORDER.map((name) => r[name]!)]),
)

/**
 * Files whose decoded pixels differ from the reference decoder's, and why.
 * Every other file must give the reference hash exactly.
 */
const KNOWN_DECODER_DIFFERENCES: Record<string, string> = {
  // ImageMagick converts CMYK to RGB with its own simple formula (ICC ignored);
  // libvips inverts Adobe CMYK differently, so a few pixels round otherwise.
  'images/misc-images/modes/CMYK.jpg': 'CMYK to RGB conversion',
}

describe('command-line PDQ on every reference image (full resolution, as python-threatexchange and HMA compute it)', () => {
  it('covers the whole set', () => {
    expect(references.length).toBe(49)
  })

  for (const ref of references) {
    const image = ref.image!
    it(image, async () => {
      const result = (await hashFile(vectorPath(image))) as ImageHashes
      expect(result.kind).toBe('image')
      expect([result.width, result.height]).toEqual([Number(ref.width), Number(ref.height)])
      const distance = hammingDistance(result.pdq, ref.ref_fullres_hash!)
      if (image.endsWith('.png')) {
        expect(result.pdq).toBe(ref.ref_fullres_hash)
        expect(result.quality).toBe(Number(ref.ref_fullres_quality))
      } else if (Number(ref.ref_fullres_quality) >= 80) {
        // Upstream's definition of a correct implementation for decoded files.
        expect(distance).toBeLessThanOrEqual(10)
      }
      if (KNOWN_DECODER_DIFFERENCES[image]) {
        expect(distance, KNOWN_DECODER_DIFFERENCES[image]).toBeGreaterThan(0)
      } else {
        expect(result.pdq).toBe(ref.ref_fullres_hash)
        expect(result.quality).toBe(Number(ref.ref_fullres_quality))
        expect(result.dihedral).toEqual(dihedral.get(image))
      }
      expect(result.lowQuality).toBe(result.quality < 50)
    })
  }
})
