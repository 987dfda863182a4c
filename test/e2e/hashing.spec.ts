import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { hashFile, type ImageHashes, type VideoHashes } from '../../app/cli/hash-file'
import { hammingDistance } from '../../app/hashing/pdq'
import type { VpdqFrame } from '../../app/hashing/vpdq'
import { vectorPath } from '../helpers/vectors'
import { expect, screenshots, test } from './fixtures'

const PNGS = ['images/misc-images/c.png', 'images/reg-test-input/pen-and-coaster.png', 'images/misc-images/modes/L.png', 'images/misc-images/modes/RGBA.png']
const JPEG = 'images/bridge-mods/aaa-orig.jpg'
const VIDEO = 'vpdq/videos/test-padded-dimensions.mp4'

test('the browser worker hashes images and a video like the command line, and sends nothing', async ({ page, requests }) => {
  test.setTimeout(180_000)
  const posted: string[] = []
  page.on('request', (r) => r.method() !== 'GET' && posted.push(`${r.method()} ${r.url()}`))

  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'takeback-e2e-files-'))
  const notAnImage = path.join(scratch, 'holiday.jpg')
  fs.writeFileSync(notAnImage, 'not a picture at all\n')
  // A full-HD phone-style clip: 1920x1080, H.264, 30 fps, 4 s of moving test pattern.
  const fullHd = path.join(scratch, 'clip-1080p.mp4')
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30', '-t', '4', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'veryfast', fullHd])

  await page.goto('/hash')
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Hash files on this device')
  await expect(page.locator('#files')).toBeEnabled()
  const files = [...[...PNGS, JPEG, VIDEO].map((f) => vectorPath(f)), fullHd]
  await page.locator('#files').setInputFiles([...files, notAnImage])

  const rows = page.locator('.file-row')
  await expect(rows).toHaveCount(files.length + 1)
  await expect(page.getByText(`${files.length + 1} of ${files.length + 1} files done`)).toBeVisible({ timeout: 150_000 })
  await expect(rows.nth(files.length)).toContainText('This file could not be read as an image or video.')
  await screenshots(page, 'hash-results')

  const download = page.waitForEvent('download')
  await page.getByRole('button', { name: 'Download the hashes (JSON lines)' }).click()
  const lines = fs
    .readFileSync(await (await download).path(), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, any>)
  expect(lines.map((l) => l.file)).toEqual(files.map((f) => path.basename(f)))

  for (const [i, file] of files.entries()) {
    const browser = lines[i]!
    const cli = await hashFile(file)
    expect(browser.md5, file).toBe(cli.md5)
    expect(browser.sha256, file).toBe(cli.sha256)
    if (cli.kind === 'image') {
      const distance = hammingDistance(browser.pdq, (cli as ImageHashes).pdq)
      // PNG decoding is lossless and exact everywhere: the same hash, bit for bit.
      if (file.endsWith('.png')) expect(browser.pdq, file).toBe((cli as ImageHashes).pdq)
      else expect(distance, file).toBeLessThanOrEqual(10)
      expect(browser.quality, file).toBe((cli as ImageHashes).quality)
    } else {
      const ours = browser.vpdq as VpdqFrame[]
      const reference = (cli as VideoHashes).vpdq!
      expect(browser.fps).toBeCloseTo(30, 3)
      expect(ours.map((f) => f.frame)).toEqual(reference.map((f) => f.frame))
      for (const [j, f] of ours.entries()) {
        const r = reference[j]!
        if (f.quality >= 50 && r.quality >= 50) expect(hammingDistance(f.pdq, r.pdq), `frame ${f.frame}`).toBeLessThan(31)
      }
    }
  }

  // Only the page and its own scripts were fetched: no request carried anything.
  expect(posted).toEqual([])
  expect(requests.every((u) => !u.includes('holiday') && !u.includes('.png') && !u.includes('.mp4'))).toBe(true)
})

test('hashing can be cancelled, and an iPhone HEIC photo the browser cannot open says what to do', async ({ page }) => {
  test.setTimeout(120_000)
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'takeback-e2e-cancel-'))
  // Two minutes at 5 fps: 120 sampled frames, so Cancel lands while it is being hashed,
  // yet few frames to encode.
  const longClip = path.join(scratch, 'long-clip.mp4')
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=5', '-t', '120', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', longClip])
  // The start of a HEIC file: an ISO-BMFF 'ftyp' box with the 'heic' brand, as iPhones write.
  const heic = path.join(scratch, 'IMG_0042.HEIC')
  const ftyp = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypheic'), Buffer.alloc(4), Buffer.from('mif1heic')])
  fs.writeFileSync(heic, Buffer.concat([ftyp, Buffer.alloc(4096, 7)]))

  await page.goto('/hash')
  await expect(page.locator('#files')).toBeEnabled()
  await page.locator('#files').setInputFiles([heic, longClip, vectorPath(JPEG)])
  const rows = page.locator('.file-row')
  await expect(rows.nth(0)).toContainText('This is an iPhone photo in HEIC format, which this browser cannot open.')
  await expect(rows.nth(1)).toHaveAttribute('data-state', 'hashing')
  await expect(rows.nth(1).getByRole('progressbar')).toBeVisible()
  await page.getByRole('button', { name: 'Cancel' }).click()
  await expect(rows.nth(1)).toHaveAttribute('data-state', 'cancelled')
  await expect(rows.nth(2)).toHaveAttribute('data-state', 'cancelled')
  await expect(page.getByText('3 of 3 files done')).toBeVisible()
  await screenshots(page, 'hash-cancelled')

  // The page still works after a cancel.
  await page.locator('#files').setInputFiles([vectorPath(JPEG)])
  await expect(rows.nth(3)).toHaveAttribute('data-state', 'done', { timeout: 30_000 })
})
