/**
 * The reader of `takeback hash` output that assisted intake and
 * `takeback case create` share: which lines become items, which are skipped
 * with a warning, and which stop everything, by line number.
 */
import crypto from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { readHashLines } from '../../app/models/hash-lines'

const hex = (bytes: number) => crypto.randomBytes(bytes).toString('hex')
const image = () => ({ file: '/home/someone/me.jpg', kind: 'image', bytes: 10, pdq: hex(32), quality: 90, md5: hex(16), sha256: hex(32) })
const video = (vpdq: unknown = [{ frame: 0, quality: 80, pdq: hex(32), timestamp: 0 }]) => ({ file: 'clip.mp4', kind: 'video', md5: hex(16), sha256: hex(32), vpdq })
const lines = (...values: unknown[]) => values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join('\n')

describe('readHashLines', () => {
  it('turns image and video lines into items, in order, without the file name', () => {
    const a = image()
    const v = video()
    const read = readHashLines(lines(a, '', v) + '\r\n')
    expect(read).toEqual({
      items: [
        { media: 'image', pdq: a.pdq, quality: 90, md5: a.md5, sha256: a.sha256 },
        { media: 'video', md5: v.md5, sha256: v.sha256, vpdq: v.vpdq },
      ],
      lineOfItem: [1, 3],
      warnings: [],
    })
    expect(JSON.stringify(read)).not.toContain('me.jpg')
  })

  it('skips error lines and repeated files, and keeps a video without frames, each with a warning', () => {
    const a = image()
    const bare = video(null)
    const read = readHashLines(lines(a, { file: 'x.jpg', error: 'Could not read' }, { ...a, file: 'copy.jpg' }, bare))
    expect(read).toEqual({
      items: [expect.objectContaining({ sha256: a.sha256 }), { media: 'video', md5: bare.md5, sha256: bare.sha256, vpdq: [] }],
      lineOfItem: [1, 4],
      warnings: [
        { kind: 'error', line: 2 },
        { kind: 'duplicate', line: 3, first: 1 },
        { kind: 'noFrames', line: 4 },
      ],
    })
  })

  it('stops at the first bad line, naming it and why', () => {
    expect(readHashLines(lines(image(), '{"kind": "image",'))).toEqual({ problem: 'notObject', line: 2 })
    expect(readHashLines(lines('[1, 2]'))).toEqual({ problem: 'notObject', line: 1 })
    expect(readHashLines(lines(image(), '', { file: 'a.jpg', kind: 'image', bytes: 3 }))).toEqual({ problem: 'noHashes', line: 3 })
    expect(readHashLines(lines({ kind: 'audio', md5: hex(16), sha256: hex(32) }))).toEqual({ problem: 'kind', line: 1 })
    expect(readHashLines(lines(image(), { ...image(), md5: 'xyz' }, { kind: 'audio', md5: hex(16) }))).toEqual({
      problem: 'invalid',
      line: 2,
      detail: expect.stringContaining('MD5'),
    })
  })

  it('reads nothing from an empty text', () => {
    expect(readHashLines('\n \n')).toEqual({ items: [], lineOfItem: [], warnings: [] })
  })
})
