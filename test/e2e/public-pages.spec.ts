import { seriousViolations } from './axe'
import { expect, screenshots, test } from './fixtures'

const PUBLIC_PAGES = ['/', '/request', '/status', '/recover', '/safety', '/hash']

for (const lng of ['en', 'es'] as const) {
  test.describe(`public pages in ${lng}`, () => {
    test.use({ bypassCSP: true, locale: lng === 'es' ? 'es-ES' : 'en-GB' })
    for (const path of PUBLIC_PAGES) {
      test(`${path} is accessible and in the right language`, async ({ page }) => {
        const response = await page.goto(path)
        expect(response?.status()).toBe(200)
        await expect(page.locator('html')).toHaveAttribute('lang', lng)
        // Public pages set no cookie at all.
        expect(response!.headers()['set-cookie']).toBeUndefined()
        expect(await page.context().cookies()).toEqual([])
        await expect(page.getByRole('link', { name: lng === 'es' ? 'Salir de esta página' : 'Exit this page' })).toBeVisible()
        expect(await seriousViolations(page)).toEqual([])
        await screenshots(page, `${path === '/' ? 'home' : path.slice(1)}-${lng}`)
        // Usable on the narrowest phones: nothing wider than 320 px.
        await page.setViewportSize({ width: 320, height: 640 })
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(320)
      })
    }
  })
}

test('the accessibility check itself finds a real violation', async ({ browser }) => {
  const context = await browser.newContext({ bypassCSP: true })
  const page = await context.newPage()
  await page.setContent('<html lang="en"><body><main><img src="x.png"><button></button></main></body></html>')
  const ids = (await seriousViolations(page)).map((v) => v.id)
  expect(ids).toEqual(expect.arrayContaining(['image-alt', 'button-name']))
  await context.close()
})

test('the language can be switched, and the choice follows links', async ({ page }) => {
  await page.goto('/')
  await expect(page.locator('h1')).toHaveText('Get intimate images taken down, without sending them to anyone')
  await page.getByRole('link', { name: 'Español' }).click()
  await expect(page.locator('h1')).toHaveText('Haz que retiren tus imágenes íntimas, sin enviárselas a nadie')
  await page.getByRole('link', { name: 'Cómo protegerte mientras usas Takeback' }).click()
  await expect(page).toHaveURL(/\/safety\?lng=es$/)
  await expect(page.locator('h1')).toHaveText('Cómo protegerte mientras usas Takeback')
})

test.describe('quick exit', () => {
  // The neutral page is answered here: this machine reaches no other host.
  test.beforeEach(async ({ page }) => {
    await page.route('https://www.bbc.co.uk/**', (route) => route.fulfill({ contentType: 'text/html', body: '<title>Weather</title>Weather' }))
  })

  test('the button replaces the page, and Back does not return to it', async ({ page }) => {
    await page.goto('about:blank')
    await page.goto('/safety')
    await page.getByRole('link', { name: 'Exit this page' }).click()
    await expect(page).toHaveURL('https://www.bbc.co.uk/weather')
    await page.goBack()
    expect(page.url()).not.toContain('/safety')
  })

  test('pressing Shift three times leaves, even with focus in a field', async ({ page }) => {
    await page.goto('/hash')
    await page.locator('#files').focus()
    await page.keyboard.press('Shift')
    await page.keyboard.press('Shift')
    await page.keyboard.press('Shift')
    await expect(page).toHaveURL('https://www.bbc.co.uk/weather')
  })
})
