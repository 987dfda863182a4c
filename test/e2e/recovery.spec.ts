import fs from 'node:fs'
import path from 'node:path'
import { simpleParser } from 'mailparser'
import { vectorPath } from '../helpers/vectors'
import { expect, screenshots, test } from './fixtures'

/** The newest .eml the app wrote (the embedded default delivers mail to DATA_DIR/mail). */
async function waitForMail(dataDir: string, after: Set<string>): Promise<string> {
  const dir = path.join(dataDir, 'mail')
  for (let i = 0; i < 100; i++) {
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.eml') && !after.has(f)) : []
    if (files.length > 0) return path.join(dir, files[0]!)
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error('no email was delivered')
}

test('a survivor who lost the secret gets a new one through a one-time email link', async ({ page, server }) => {
  test.setTimeout(120_000)
  await page.goto('/request')
  await page.getByLabel('Me, and I was 18 or over').check()
  await page.locator('#files').setInputFiles([vectorPath('images/misc-images/modes/L.png')])
  await expect(page.getByText('1 of 1 file done')).toBeVisible({ timeout: 30_000 })
  await page.getByLabel('Email address').fill('survivor@example.org')
  await page.getByLabel('Share the hashes of my files').check()
  await page.getByRole('button', { name: 'Send the request' }).click()
  const caseNumber = (await page.getByTestId('case-number').textContent())!
  const oldSecret = (await page.getByTestId('case-secret').textContent())!
  await expect(page.getByText('If you lose your secret, you can get a new one')).toBeVisible()

  const mailDir = path.join(server.dataDir, 'mail')
  const before = new Set(fs.existsSync(mailDir) ? fs.readdirSync(mailDir) : [])
  await page.goto('/recover')
  await screenshots(page, 'recover')
  // A wrong address gets the very same answer, and no email.
  await page.getByLabel('Case number').fill(caseNumber)
  await page.getByLabel('Email address').fill('someone.else@example.org')
  await page.getByRole('button', { name: 'Send me a link' }).click()
  await expect(page.locator('h1')).toHaveText('Check your email')
  await page.goto('/recover')
  await page.getByLabel('Case number').fill(caseNumber)
  await page.getByLabel('Email address').fill('Survivor@Example.org')
  await page.getByRole('button', { name: 'Send me a link' }).click()
  await expect(page.locator('h1')).toHaveText('Check your email')
  await screenshots(page, 'recover-sent')

  const file = await waitForMail(server.dataDir, before)
  const mail = await simpleParser(fs.readFileSync(file))
  expect(mail.to && 'text' in mail.to ? mail.to.text : '').toBe('survivor@example.org')
  expect(mail.subject).toBe('Your Takeback link')
  // A shared inbox learns nothing about the case.
  for (const part of [mail.subject ?? '', mail.text ?? '', String(mail.html)]) {
    expect(part).not.toContain(caseNumber)
    expect(part.toLowerCase()).not.toMatch(/image|photo|intimate|abuse/)
  }
  const link = mail.text!.match(/https?:\/\/\S+\/recover\?token=[A-Za-z0-9_-]+/)![0]
  expect(fs.readdirSync(mailDir).filter((f) => !before.has(f))).toHaveLength(1)

  // Opening the link (as a mail scanner would) changes nothing; the button does.
  await page.goto(link)
  await expect(page.locator('h1')).toHaveText('Make a new secret')
  await page.goto(link)
  await screenshots(page, 'recover-redeem')
  await page.getByRole('button', { name: 'Make a new secret' }).click()
  await expect(page.locator('h1')).toHaveText('Your new secret')
  await screenshots(page, 'recover-new-secret')
  const newSecret = (await page.getByTestId('case-secret').textContent())!
  expect(newSecret).not.toBe(oldSecret)

  const spent = await page.goto(link)
  expect(spent?.status()).toBe(410)

  await page.goto('/status')
  await page.getByLabel('Case number').fill(caseNumber)
  await page.getByLabel('Secret').fill(oldSecret)
  await page.getByRole('button', { name: 'Open my case' }).click()
  await expect(page.getByText('We could not open a case with that case number and secret.')).toBeVisible()
  await page.getByLabel('Secret').fill(newSecret)
  await page.getByRole('button', { name: 'Open my case' }).click()
  await expect(page.locator('h1')).toContainText(caseNumber)
})
