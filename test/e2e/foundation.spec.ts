import { expect, screenshots, test } from './fixtures'

test('home page: content, security headers, nothing from another host', async ({ page, requests }) => {
  const response = await page.goto('/')
  expect(response?.status()).toBe(200)
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(
    'Get intimate images taken down, without sending them to anyone',
  )
  const headers = response!.headers()
  expect(headers['content-security-policy']).toMatch(/script-src 'self' 'wasm-unsafe-eval' 'nonce-[A-Za-z0-9+/=]+'/)
  expect(headers['content-security-policy']).not.toContain("'unsafe-eval'")
  expect(headers['content-security-policy']).toContain("frame-ancestors 'none'")
  expect(headers['content-security-policy']).not.toContain('unsafe-inline')
  expect(headers['referrer-policy']).toBe('no-referrer')
  expect(headers['x-content-type-options']).toBe('nosniff')
  expect(headers['cache-control']).toBe('no-store')

  // Every inline script carries this response's nonce, so the CSP lets the app hydrate.
  const nonce = headers['content-security-policy']!.match(/'nonce-([^']+)'/)![1]
  const inline = await page.locator('script:not([src])').evaluateAll((els) => els.map((e) => (e as HTMLScriptElement).nonce))
  expect(inline.length).toBeGreaterThan(0)
  expect(inline.every((n) => n === nonce)).toBe(true)
  expect(requests.length).toBeGreaterThan(1)
  await screenshots(page, 'home')
})

test('a form post from another website is refused with 403, not an error', async ({ request }) => {
  const res = await request.post('/status', { form: { intent: 'sign-in', caseNumber: 'ABCD-2345', secret: 'x' }, headers: { Origin: 'https://evil.example' } })
  expect(res.status()).toBe(403)
  expect(await res.text()).toContain('came from another website')
  const ok = await request.post('/status', { form: { intent: 'sign-in', caseNumber: 'ABCD-2345', secret: 'ABCD-2345-ABCD-2345' } })
  expect(ok.status()).toBe(400)
})

test('health check and an unknown page', async ({ page, request }) => {
  const health = await request.get('/healthz')
  expect(health.status()).toBe(200)
  expect(await health.text()).toBe('ok\n')
  expect(health.headers()['content-security-policy']).toContain("default-src 'self'")

  const missing = await page.goto('/no-such-page')
  expect(missing?.status()).toBe(404)
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Page not found')
  await expect(page.locator('body')).not.toContainText(/at \w+ \(|node_modules|Error:/)
  await screenshots(page, 'not-found')
})

test('first administrator: the printed set-up link works once', async ({ page, server, requests }) => {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()))

  await page.goto(server.setupUrl)
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Create the first administrator account')
  await screenshots(page, 'setup')

  // Checked in the browser before anything is sent.
  await page.getByLabel('Email address').fill('not an address')
  await page.getByLabel('Password', { exact: true }).fill('short')
  await page.getByLabel('Password again').fill('different')
  await page.getByRole('button', { name: 'Create account' }).click()
  await expect(page.getByText('Enter an email address like name@example.org.')).toBeVisible()
  await expect(page.getByText('Use at least 12 characters.')).toBeVisible()
  await expect(page.getByLabel('Email address')).toHaveAttribute('aria-invalid', 'true')
  await screenshots(page, 'setup-errors')

  await page.getByLabel('Email address').fill('admin@example.org')
  await page.getByLabel('Password', { exact: true }).fill('a long and unusual passphrase')
  await page.getByLabel('Password again').fill('a long and unusual passphrase')
  await page.getByRole('button', { name: 'Create account' }).click()
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your administrator account is ready')
  await screenshots(page, 'setup-done')
  // No script error anywhere on the way (the browser logs the 410 below itself).
  expect(errors).toEqual([])

  const again = await page.goto(server.setupUrl)
  expect(again?.status()).toBe(410)
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('This link no longer works')
  await screenshots(page, 'setup-link-spent')
  expect(requests.some((u) => u.includes('/assets/'))).toBe(true)
})
