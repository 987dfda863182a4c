import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import exifReader from 'exif-reader'
import sharp from 'sharp'
import { hashFile, type ImageHashes } from '../../app/cli/hash-file'
import { vectorPath } from '../helpers/vectors'
import { expect, screenshots, test } from './fixtures'

const FILES = [
  vectorPath('images/misc-images/c.png'),
  vectorPath('images/bridge-mods/aaa-orig.jpg'),
  vectorPath('images/reg-test-input/exif-rotn/exif-rotn-1.jpg'),
  vectorPath('vpdq/videos/test-padded-dimensions.mp4'),
]

/** Every text value in a file's EXIF block long enough to be telling (make, model, dates, software...). */
async function exifStrings(file: string): Promise<string[]> {
  const { exif } = await sharp(file).metadata().catch(() => ({ exif: undefined }))
  if (!exif) return []
  const values: string[] = []
  const walk = (v: unknown) => {
    if (typeof v === 'string' && v.trim().length >= 4) values.push(v.trim())
    else if (v instanceof Date) values.push(v.toISOString().slice(0, 19).replace('T', ' '), v.toISOString().slice(0, 19).replace(/-/g, ':').replace('T', ' '))
    else if (v && typeof v === 'object' && !Buffer.isBuffer(v)) Object.values(v).forEach(walk)
  }
  walk(exifReader(exif))
  return [...new Set(values)]
}

/**
 * Aligned 32-byte blocks of a file. Any 64-byte run of the file contains one
 * whole aligned block, so a body holding a 64-byte run holds one of these.
 */
function blocksOf(file: string): Set<string> {
  const bytes = fs.readFileSync(file)
  const blocks = new Set<string>()
  for (let i = 0; i + 32 <= bytes.length; i += 32) blocks.add(bytes.subarray(i, i + 32).toString('hex'))
  return blocks
}

function containsBlock(body: Buffer, blocks: Set<string>): boolean {
  for (let i = 0; i + 32 <= body.length; i++) if (blocks.has(body.subarray(i, i + 32).toString('hex'))) return true
  return false
}

test('a survivor asks for removal without uploading anything, follows the case, and deletes it', async ({ page, server, requests }) => {
  test.setTimeout(240_000)
  const sent: { url: string; body: Buffer }[] = []
  page.on('request', (r) => sent.push({ url: r.url(), body: r.postDataBuffer() ?? Buffer.alloc(0) }))

  const exif = (await Promise.all(FILES.map(exifStrings))).flat()
  expect(exif.length, 'the test photo carries EXIF values to look for').toBeGreaterThan(2)

  await page.goto('/')
  await page.getByRole('link', { name: 'Ask for images to be taken down' }).first().click()
  await expect(page.locator('h1')).toHaveText('Ask for your images to be taken down')
  await page.getByLabel('Me, and I was 18 or over').check()
  await page.locator('#files').setInputFiles(FILES)
  await expect(page.getByRole('progressbar', { name: 'All files' })).toBeVisible()
  await expect(page.getByText('4 of 4 files done')).toBeVisible({ timeout: 120_000 })
  await expect(page.locator('.file-row[data-state="done"]')).toHaveCount(4)
  // Previews are blurred until asked for.
  await expect(page.locator('.thumb img').first()).toHaveClass(/blurred/)
  await screenshots(page, 'request-files')

  await page.getByLabel('Share the hashes of my files').check()
  await page.getByRole('button', { name: 'Send the request' }).click()
  await expect(page.locator('h1')).toHaveText('Your request is in')
  const caseNumber = (await page.getByTestId('case-number').textContent())!
  const secret = (await page.getByTestId('case-secret').textContent())!
  expect(caseNumber).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/)
  expect(secret).toMatch(/^([0-9A-HJKMNP-TV-Z]{4}-){3}[0-9A-HJKMNP-TV-Z]{4}$/)
  await screenshots(page, 'request-created')

  // The PNGs' hashes in the database are the command line's.
  const cli = (await hashFile(FILES[0]!)) as ImageHashes
  const db = new Database(path.join(server.dataDir, 'takeback.db'), { readonly: true })
  const stored = db
    .prepare('select h.kind, h.value from case_hash h join survivor_case c on c.id = h.case_id where c.case_number = ? and h.item = 1 order by h.kind')
    .all(caseNumber.replace('-', '')) as { kind: string; value: string }[]
  db.close()
  expect(stored).toEqual([
    { kind: 'md5', value: cli.md5 },
    { kind: 'pdq', value: cli.pdq },
    { kind: 'sha256', value: cli.sha256 },
  ])

  await page.getByRole('link', { name: 'Go to my case' }).click()
  await expect(page.locator('h1')).toHaveText('Follow your case')
  await screenshots(page, 'status-sign-in')
  await page.getByLabel('Case number').fill(caseNumber.toLowerCase().replace('-', ' '))
  await page.getByLabel('Secret').fill('0000-0000-0000-0000')
  await page.getByRole('button', { name: 'Open my case' }).click()
  await expect(page.getByText('We could not open a case with that case number and secret.')).toBeVisible()
  await page.getByLabel('Secret').fill(secret)
  await page.getByRole('button', { name: 'Open my case' }).click()
  await expect(page.locator('h1')).toContainText(caseNumber)
  await expect(page.locator('.file-row[data-item]')).toHaveCount(4)
  await expect(page.locator('[data-item="1"] [data-kind="pdq"]')).toContainText(cli.pdq.slice(0, 8))
  const cookie = (await page.context().cookies()).find((c) => c.name === 'tb_case')!
  expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' })
  await screenshots(page, 'status-case')

  await page.getByLabel('Add web addresses').fill('https://images.example.net/gallery/123')
  await page.getByLabel('Ask the websites I listed to take the images down for me.').check()
  await page.getByRole('button', { name: 'Add these addresses' }).click()
  await expect(page.getByText('The web addresses are added.')).toBeVisible()
  await expect(page.locator('.url-list')).toContainText('https://images.example.net/gallery/123')

  await page.getByLabel('Photo 2').check()
  await page.getByRole('button', { name: 'Take back the files I ticked' }).click()
  await expect(page.getByText('Those files are taken back.')).toBeVisible()
  for (const kind of ['md5', 'pdq', 'sha256']) {
    await expect(page.locator(`[data-item="2"] [data-kind="${kind}"]`)).toHaveAttribute('data-status', 'withdrawn')
    await expect(page.locator(`[data-item="1"] [data-kind="${kind}"]`)).toHaveAttribute('data-status', 'active')
  }
  await expect(page.getByLabel('Photo 2')).toBeDisabled()
  await screenshots(page, 'status-withdrawn')

  await page.getByRole('button', { name: 'Delete my case' }).click()
  await expect(page.getByText('Tick the box to confirm that you want to delete your case.')).toBeVisible()
  await page.getByLabel('Yes, delete my case').check()
  await page.getByRole('button', { name: 'Delete my case' }).click()
  await expect(page.getByText('Your case is deleted.')).toBeVisible()
  expect((await page.context().cookies()).find((c) => c.name === 'tb_case')).toBeUndefined()
  await page.getByLabel('Case number').fill(caseNumber)
  await page.getByLabel('Secret').fill(secret)
  await page.getByRole('button', { name: 'Open my case' }).click()
  await expect(page.getByText('We could not open a case with that case number and secret.')).toBeVisible()

  // What left the browser: no run of any file's bytes, no file name, no EXIF value.
  expect(sent.length).toBeGreaterThan(10)
  // The detector finds a 64-byte run at any offset (here, an odd one).
  const sample = fs.readFileSync(FILES[1]!).subarray(1001, 1065)
  expect(containsBlock(Buffer.concat([Buffer.from('{"x":"'), sample]), blocksOf(FILES[1]!))).toBe(true)
  const names = FILES.map((f) => path.basename(f))
  for (const file of FILES) {
    const blocks = blocksOf(file)
    for (const r of sent) expect(containsBlock(r.body, blocks), `${r.url} carries bytes of ${path.basename(file)}`).toBe(false)
  }
  for (const r of sent) {
    const text = decodeURIComponent(r.url) + '\n' + r.body.toString('latin1') + '\n' + r.body.toString('utf8')
    // Names with and without their extension (a bare stem only when long enough to mean something).
    const stems = names.map((n) => n.replace(/\.\w+$/, '')).filter((n) => n.length >= 5)
    for (const name of [...names, ...stems]) expect(text, `${r.url} names a file`).not.toContain(name)
    for (const value of exif) expect(text, `${r.url} carries the EXIF value "${value}"`).not.toContain(value)
  }
  expect(requests.length).toBeGreaterThan(0)
})
