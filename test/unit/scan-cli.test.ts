import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { hammingDistance } from '../../app/hashing/pdq'
import { readCsv, vectorPath } from '../helpers/vectors'

const reference = new Map(readCsv('expected/reference-hashes.csv').map((r) => [r.image!, r.ref_fullres_hash!]))
const framePdq = (frame: number) =>
  fs
    .readFileSync(vectorPath('vpdq/generated/test-padded-dimensions.1fps.txt'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${frame},`))!
    .split(',')[2]!

/** Run `npm run --silent takeback -- scan ...` as a person does; stdout as JSON lines. */
function scan(args: string[]) {
  const out = spawnSync(process.execPath, ['--import', 'tsx', 'app/cli/takeback.ts', 'scan', ...args], { encoding: 'utf8' })
  const lines = out.stdout.trim() ? out.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>) : []
  return { status: out.status, lines, stderr: out.stderr }
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'takeback-scan-'))
const dir = path.join(scratch, 'storage')
const feedFile = path.join(scratch, 'export.ndjson')
const bridge = reference.get('images/bridge-mods/aaa-orig.jpg')!
const cPng = reference.get('images/misc-images/c.png')!
const pen = reference.get('images/reg-test-input/pen-and-coaster.png')!
const unrelated = reference.get('images/reg-test-input/labelme-subset/q0122.jpg')!
let exactBytes: Buffer
let resizedPdq = ''

const line = (fields: Record<string, unknown>) => JSON.stringify({ media: 'image', case: 'c_x', item: 'i1', quality: 100, frame: null, frameMs: null, ...fields })

beforeAll(async () => {
  fs.mkdirSync(path.join(dir, 'uploads', '2026'), { recursive: true })
  // An exact copy of a listed file: MD5, SHA-256 and PDQ all match.
  exactBytes = fs.readFileSync(vectorPath('images/misc-images/c.png'))
  fs.writeFileSync(path.join(dir, 'exact.png'), exactBytes)
  // The listed bridge photo, resized and re-encoded by a site: only PDQ is near.
  await sharp(vectorPath('images/bridge-mods/aaa-orig.jpg')).resize(640).jpeg({ quality: 70 }).toFile(path.join(dir, 'uploads', '2026', 'resized.jpg'))
  // An unrelated photo whose hash is in the feed only as withdrawn.
  fs.copyFileSync(vectorPath('images/reg-test-input/labelme-subset/q0122.jpg'), path.join(dir, 'uploads', 'other.jpg'))
  // A listed photo whose later record withdraws it.
  fs.copyFileSync(vectorPath('images/reg-test-input/pen-and-coaster.png'), path.join(dir, 'pen.png'))
  // A video with one frame hash listed.
  fs.copyFileSync(vectorPath('vpdq/videos/test-padded-dimensions.mp4'), path.join(dir, 'uploads', 'clip.mp4'))
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a picture\n')

  const feed = [
    line({ type: 'md5', value: createHash('md5').update(exactBytes).digest('hex'), status: 'active', updatedAt: 1 }),
    line({ type: 'sha256', value: createHash('sha256').update(exactBytes).digest('hex'), status: 'active', updatedAt: 1, futureField: { x: 1 } }),
    line({ type: 'pdq', value: cPng, status: 'active', updatedAt: 2 }),
    line({ type: 'pdq', value: bridge, status: 'active', updatedAt: 3 }),
    line({ type: 'pdq', value: unrelated, status: 'withdrawn', updatedAt: 4 }),
    line({ type: 'pdq', value: pen, status: 'active', updatedAt: 5 }),
    '{"type": "pdq", "value": "not hex"',
    line({ type: 'pdq', value: pen, status: 'deleted', updatedAt: 6 }),
    line({ type: 'tmk', value: 'abc', status: 'active', updatedAt: 7 }),
    line({ type: 'md5', value: 'xyz', status: 'active', updatedAt: 8 }),
    '',
    line({ type: 'vpdq', media: 'video', value: framePdq(60), status: 'active', updatedAt: 9, frame: 60, frameMs: 2000 }),
  ]
  fs.writeFileSync(feedFile, feed.join('\n') + '\n')
  // What `takeback hash` makes of the resized copy, to know the expected distance.
  const hashed = spawnSync(process.execPath, ['--import', 'tsx', 'app/cli/takeback.ts', 'hash', path.join(dir, 'uploads', '2026', 'resized.jpg')], { encoding: 'utf8' })
  resizedPdq = (JSON.parse(hashed.stdout) as { pdq: string }).pdq
}, 120_000)

describe('takeback scan', { timeout: 120_000 }, () => {
  it('prints each match in the folder against the active feed hashes, with a summary on stderr', () => {
    const { status, lines, stderr } = scan(['--feed', feedFile, dir])
    expect(status).toBe(0)
    const md5 = createHash('md5').update(exactBytes).digest('hex')
    const sha256 = createHash('sha256').update(exactBytes).digest('hex')
    const distance = hammingDistance(resizedPdq, bridge)
    expect(distance).toBeGreaterThan(0)
    expect(distance).toBeLessThanOrEqual(31)

    expect(lines).toEqual([
      { file: 'exact.png', kind: 'md5', value: md5, matched: { type: 'md5', value: md5, distance: 0 } },
      { file: 'exact.png', kind: 'sha256', value: sha256, matched: { type: 'sha256', value: sha256, distance: 0 } },
      { file: 'exact.png', kind: 'pdq', value: cPng, matched: { type: 'pdq', value: cPng, distance: 0 } },
      { file: path.join('uploads', '2026', 'resized.jpg'), kind: 'pdq', value: resizedPdq, matched: { type: 'pdq', value: bridge, distance } },
      { file: path.join('uploads', 'clip.mp4'), kind: 'vpdq', value: framePdq(60), frame: 60, matched: { type: 'vpdq', value: framePdq(60), distance: 0 } },
    ])
    // Withdrawn (other.jpg) and later-deleted (pen.png) hashes never match.
    expect(lines.map((l) => l.file)).not.toContain('pen.png')

    // Malformed lines are named by number only, never by their content.
    expect(stderr).toContain('Feed line 7: not JSON; skipped.')
    expect(stderr).toContain('Feed line 10: "value" is not a 32-character hex md5 hash; skipped.')
    expect(stderr).not.toContain('not hex')
    expect(stderr).toContain(
      'Scanned 4 images and 1 video (1 other file skipped) against 5 active hashes from 12 feed lines (2 malformed, skipped): 5 matches in 3 files.',
    )
  })

  it('narrows PDQ matching with --max-distance', () => {
    const { status, lines } = scan(['--feed', feedFile, '--max-distance', '0', dir])
    expect(status).toBe(0)
    expect(lines.map((l) => `${l.file} ${l.kind}`)).toEqual([
      'exact.png md5',
      'exact.png sha256',
      'exact.png pdq',
      `${path.join('uploads', 'clip.mp4')} vpdq`,
    ])
  })

  it('explains what is wrong when called wrongly', () => {
    expect(scan([dir]).stderr).toContain('Name the hash list to match against with --feed EXPORT.ndjson')
    expect(scan([dir]).status).toBe(2)
    expect(scan(['--feed', feedFile]).stderr).toContain('Name exactly one folder to scan.')
    expect(scan(['--feed', feedFile, '--max-distance', '32', dir]).stderr).toContain('--max-distance takes a whole number of bits from 0 to 31.')
    expect(scan(['--feed', path.join(scratch, 'missing.ndjson'), dir]).stderr).toContain('is not a file that can be read')
    const notFolder = scan(['--feed', feedFile, feedFile])
    expect(notFolder.status).toBe(2)
    expect(notFolder.stderr).toContain('is not a folder that can be read')
  })
})
