import { vectorPath } from '../helpers/vectors'
import { seriousViolations } from './axe'
import { expect, screenshots, test } from './fixtures'

// The pages behind the sign-in, in Spanish, checked for accessibility too.
test.use({ bypassCSP: true, locale: 'es-ES' })

test('en español: pedir, ver el caso y sus mensajes de error, accesible', async ({ page }) => {
  test.setTimeout(120_000)
  await page.goto('/request')
  await expect(page.locator('h1')).toHaveText('Pide que retiren tus imágenes')
  await page.getByRole('button', { name: 'Enviar la solicitud' }).click()
  await expect(page.getByText('Elige para quién es esta solicitud.')).toBeVisible()
  await page.getByLabel('Para mí, y tenía menos de 18 años en la imagen').check()
  await page.getByRole('button', { name: 'Enviar la solicitud' }).click()
  await expect(page.getByText('Añade al menos una foto o un vídeo, o una dirección web.')).toBeVisible()
  expect(await seriousViolations(page)).toEqual([])
  await screenshots(page, 'request-errors-es')

  await page.locator('#files').setInputFiles([vectorPath('images/misc-images/modes/RGB.jpg')])
  await expect(page.getByText('1 de 1 archivo listo')).toBeVisible({ timeout: 30_000 })
  await page.getByLabel('Direcciones web').fill('ejemplo.es/fotos/1\njavascript:alert(1)')
  await page.getByLabel('Compartir los hashes de mis archivos').check()
  await page.getByRole('button', { name: 'Enviar la solicitud' }).click()
  await expect(page.getByText('Escribe una dirección web que empiece por http:// o https://')).toBeVisible()
  await expect(page.getByLabel('Direcciones web')).toHaveAttribute('aria-invalid', 'true')
  await page.getByLabel('Direcciones web').fill('ejemplo.es/fotos/1')
  await page.getByLabel('Pedir a las webs que he indicado que retiren las imágenes por mí.').check()
  await page.getByLabel('Tu nombre completo').fill('Ana Pérez')
  await page.getByRole('button', { name: 'Enviar la solicitud' }).click()
  await expect(page.locator('h1')).toHaveText('Hemos recibido tu solicitud')
  expect(await seriousViolations(page)).toEqual([])
  await screenshots(page, 'request-created-es')
  const caseNumber = (await page.getByTestId('case-number').textContent())!
  const secret = (await page.getByTestId('case-secret').textContent())!

  await page.getByRole('link', { name: 'Ir a mi caso' }).click()
  await page.getByLabel('Número de caso').fill(caseNumber)
  await page.getByLabel('Clave secreta').fill(secret)
  await page.getByRole('button', { name: 'Abrir mi caso' }).click()
  await expect(page.locator('h1')).toContainText(caseNumber)
  await expect(page.locator('.url-list')).toContainText('https://ejemplo.es/fotos/1')
  await expect(page.getByText('Una persona de nuestro equipo leerá tu solicitud')).toBeVisible()
  expect(await seriousViolations(page)).toEqual([])
  await screenshots(page, 'status-case-es')
})
