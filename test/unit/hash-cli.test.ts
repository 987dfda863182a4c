import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { hammingDistance } from '../../app/hashing/pdq'
import { readCsv, vectorPath } from '../helpers/vectors'

const references = new Map(readCsv('expected/reference-hashes.csv').map((r) => [r.image!, r]))

/** Run `npm run --silent takeback -- ...` the way a person does, and read its JSON lines. */
function takeback(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const out = spawnSync(process.execPath, ['--import', 'tsx', 'app/cli/takeback.ts', ...args], { encoding: 'utf8', env })
  const lines = out.stdout.trim() ? out.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>) : []
  return { status: out.status, lines, stderr: out.stderr }
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'takeback-cli-'))
const png = vectorPath('images/misc-images/c.png')
const photo12mp = vectorPath('images/reg-test-input/exif-rotn/exif-rotn-1.jpg')
const truncated = path.join(scratch, 'truncated.jpg')
const notAnImage = path.join(scratch, 'notes.jpg')
fs.writeFileSync(truncated, fs.readFileSync(photo12mp).subarray(0, 200_000))
fs.writeFileSync(notAnImage, 'This is a shopping list, not a photo.\n')

describe('takeback hash', { timeout: 120_000 }, () => {
  it('hashes good files, reports bad ones with a clear error, and exits non-zero at the end', () => {
    const { status, lines } = takeback(['hash', '--json', truncated, png, notAnImage, photo12mp])
    expect(status).toBe(1)
    expect(lines.map((l) => l.file)).toEqual([truncated, png, notAnImage, photo12mp])

    expect(lines[0]!.error).toMatch(/^This file could not be read as an image: it is damaged, incomplete or not supported/)
    expect(lines[2]!.error).toBe('This file could not be read as an image or video. Its contents are not a known image or video format.')
    expect(lines[0]!.pdq).toBeUndefined()

    const c = lines[1]!
    expect(c).toMatchObject({ kind: 'image', bytes: fs.statSync(png).size, width: 1432, height: 812 })
    expect(c.pdq).toBe(references.get('images/misc-images/c.png')!.ref_fullres_hash)
    expect(c.md5).toMatch(/^[0-9a-f]{32}$/)
    expect(c.sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(c.dihedral).toHaveLength(8)

    const big = lines[3]!
    expect([big.width, big.height]).toEqual([4032, 3024])
    expect(big.pdq).toBe(references.get('images/reg-test-input/exif-rotn/exif-rotn-1.jpg')!.ref_fullres_hash)
  })

  it('--orient hashes the photo as displayed: close to one dihedral variant of the stored one', () => {
    const rotated = vectorPath('images/reg-test-input/exif-rotn/exif-rotn-6.jpg')
    const [stored] = takeback(['hash', rotated]).lines
    const [shown] = takeback(['hash', '--orient', rotated]).lines
    expect([shown!.width, shown!.height]).toEqual([3024, 4032])
    // Orientation 6 is a quarter turn: far from the stored hash, next to its rotate270 variant
    // (not equal: the 64x64 downsample of turned pixels rounds a little differently).
    expect(hammingDistance(shown!.pdq, stored!.pdq)).toBeGreaterThan(64)
    expect(hammingDistance(shown!.pdq, stored!.dihedral[3])).toBeLessThanOrEqual(10)
  })

  it('hashes a video with vPDQ frames, or says FFmpeg is missing and still gives MD5 and SHA-256', () => {
    const video = vectorPath('vpdq/videos/test-padded-dimensions.mp4')
    const [withFfmpeg] = takeback(['hash', video]).lines
    expect(withFfmpeg).toMatchObject({ kind: 'video', fps: 30, width: 1080, height: 1080 })
    expect(withFfmpeg!.vpdq.map((f: { frame: number }) => f.frame)).toEqual([0, 30, 60, 90, 120])

    const nodeOnly = fs.mkdtempSync(path.join(os.tmpdir(), 'takeback-path-'))
    const result = takeback(['hash', video], { ...process.env, PATH: nodeOnly })
    expect(result.status).toBe(0)
    expect(result.lines[0]).toMatchObject({ kind: 'video', vpdq: null, md5: withFfmpeg!.md5, sha256: withFfmpeg!.sha256 })
    expect(result.lines[0]!.note).toMatch(/vPDQ needs FFmpeg, which is not on PATH/)
  })

  it('explains its usage when called wrongly', () => {
    const none = takeback(['hash'])
    expect(none.status).toBe(2)
    expect(none.stderr).toContain('Name at least one file to hash.')
    const unknown = takeback(['frobnicate'])
    expect(unknown.status).toBe(2)
    expect(unknown.stderr).toContain('Unknown command "frobnicate"')
    expect(takeback(['hash', '--seconds-per-hash', 'soon', png]).stderr).toContain('--seconds-per-hash takes a number')
  })
})
