import fs from 'node:fs'
import path from 'node:path'
import { test as base, expect, type Page } from '@playwright/test'
import { readServer, SCREENSHOT_DIR, type E2EServer } from './server'

export const VIEWPORTS = { phone: { width: 375, height: 812 }, desktop: { width: 1280, height: 900 } } as const

/** Save the page at phone and desktop widths under test-results/screenshots/. */
export async function screenshots(page: Page, name: string) {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true })
  const original = page.viewportSize()
  for (const [label, size] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(size)
    // From the top: a full-page capture of a scrolled page draws the sticky header mid-page.
    await page.evaluate(() => window.scrollTo(0, 0))
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}-${label}-${size.width}.png`), fullPage: true })
  }
  if (original) await page.setViewportSize(original)
}

/**
 * Every test gets the running server, and a record of every request its page
 * makes, so any request leaving our origin fails the test.
 */
export const test = base.extend<{ server: E2EServer; requests: string[] }>({
  server: async ({}, use) => use(readServer()),
  baseURL: async ({ server }, use) => use(server.baseURL),
  requests: async ({ page, server }, use) => {
    const seen: string[] = []
    page.on('request', (r) => seen.push(r.url()))
    await use(seen)
    const origin = new URL(server.baseURL).origin
    const foreign = seen.filter((u) => !u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).origin !== origin)
    expect(foreign, 'requests to another host').toEqual([])
  },
})
export { expect }
