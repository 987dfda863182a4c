import fs from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ffmpegAvailable, hashFile, type VideoHashes } from '../../app/cli/hash-file'
import { hammingDistance } from '../../app/hashing/pdq'
import { formatVpdq, frameMod, matchVpdq, parseVpdq, sampledFrames, type VpdqFrame } from '../../app/hashing/vpdq'
import { readCsv, vectorPath } from '../helpers/vectors'

const VIDEOS = ['test-padded-dimensions', 'doorknob-hd-no-bar', 'pattern-sd-grey-bar', 'pattern-sd-with-small-logo-bar']
const readFrames = (...parts: string[]) => parseVpdq(fs.readFileSync(vectorPath(...parts), 'utf8'))

/** Upstream's regression rule: same frame numbers; frames of quality >= 50 less than 31 bits apart. */
function expectUpstreamRule(ours: VpdqFrame[], expected: VpdqFrame[]) {
  expect(ours.map((f) => f.frame)).toEqual(expected.map((f) => f.frame))
  ours.forEach((f, i) => {
    const e = expected[i]!
    expect(f.timestamp).toBeCloseTo(e.timestamp, 3)
    if (f.quality >= 50 && e.quality >= 50) expect(hammingDistance(f.pdq, e.pdq), `frame ${f.frame}`).toBeLessThan(31)
  })
}

describe('vPDQ sampling', () => {
  it('keeps every int(secondsPerHash * fps)-th frame, at least 1', () => {
    expect(frameMod(30)).toBe(30)
    expect(frameMod(29.97)).toBe(29)
    expect(frameMod(30, 0)).toBe(1)
    expect(frameMod(0.5)).toBe(1)
    expect(sampledFrames(150, 30)).toEqual([0, 30, 60, 90, 120])
  })

  it('reads and writes the reference text format', () => {
    const text = fs.readFileSync(vectorPath('vpdq/generated/test-padded-dimensions.1fps.txt'), 'utf8')
    expect(formatVpdq(parseVpdq(text))).toBe(text)
    expect(() => parseVpdq('0,100,nothex,0.000')).toThrow(/line 1/)
  })
})

describe('vPDQ matching reproduces expected-matches.csv', () => {
  for (const row of readCsv('vpdq/expected-matches.csv')) {
    it(`${row.query} vs ${row.target}`, () => {
      const query = readFrames('vpdq', row.query!)
      const target = readFrames('vpdq', row.target!)
      const pte = matchVpdq(query, target)
      expect(pte.queryPercent.toFixed(2)).toBe(row.pte_query_pct)
      expect(pte.comparedPercent.toFixed(2)).toBe(row.pte_compared_pct)
      expect(pte.isMatch).toBe(row.pte_is_match_default === 'yes')
      const cpp = matchVpdq(query, target, { rule: 'cpp' })
      expect(cpp.queryPercent.toFixed(2)).toBe(row.cpp_query_pct)
      expect(cpp.comparedPercent.toFixed(2)).toBe(row.cpp_target_pct)
    })
  }
})

describe('command-line vPDQ from the fixture videos (FFmpeg)', { timeout: 120_000 }, () => {
  it('has FFmpeg to decode with (npm test installs it when run as root)', () => {
    expect(ffmpegAvailable(), 'install FFmpeg: apt-get install ffmpeg').toBe(true)
  })

  for (const name of VIDEOS) {
    it(`${name}: every frame agrees with upstream sample-hashes`, async () => {
      const result = (await hashFile(vectorPath('vpdq/videos', `${name}.mp4`), { secondsPerHash: 0 })) as VideoHashes
      expect(result.kind).toBe('video')
      expectUpstreamRule(result.vpdq!, readFrames('vpdq/sample-hashes', `${name}.txt`))
    })

    it(`${name}: one hash per second agrees with the reference hasher and matches the every-frame hashes`, async () => {
      const result = (await hashFile(vectorPath('vpdq/videos', `${name}.mp4`))) as VideoHashes
      const reference = readFrames('vpdq/generated', `${name}.1fps.txt`)
      expectUpstreamRule(result.vpdq!, reference)
      expect(result.fps).toBe(30)
      // A provider holding every frame finds the survivor's 1 fps hashes.
      expect(matchVpdq(result.vpdq!, readFrames('vpdq/sample-hashes', `${name}.txt`)).isMatch).toBe(true)
    })
  }

  it('tells the padded-dimensions clip apart from the pattern clip, and finds the logo variant', async () => {
    const [padded, grey, logo] = await Promise.all(
      ['test-padded-dimensions', 'pattern-sd-grey-bar', 'pattern-sd-with-small-logo-bar'].map(
        async (n) => ((await hashFile(vectorPath('vpdq/videos', `${n}.mp4`))) as VideoHashes).vpdq!,
      ),
    )
    expect(matchVpdq(grey!, padded!).isMatch).toBe(false)
    expect(matchVpdq(grey!, logo!).isMatch).toBe(true)
  })
})
