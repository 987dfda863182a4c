import { PassThrough } from 'node:stream'
import type { AppLoadContext, EntryContext, HandleErrorFunction } from '@remix-run/node'
import { createReadableStreamFromReadable } from '@remix-run/node'
import { RemixServer } from '@remix-run/react'
import { isbot } from 'isbot'
import { renderToPipeableStream } from 'react-dom/server'
import { I18nextProvider } from 'react-i18next'
import { NonceProvider } from './components/nonce'
import { i18next, i18nFor } from './i18next.server'
import { log, loggablePath } from './lib/log.server'
import { RETRY_AFTER_SECONDS } from './lib/unavailable.server'

export const streamTimeout = 5_000

export default async function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  const nonce = loadContext.cspNonce
  // Remix drops the headers of a thrown Response on pages: a 503 (app/lib/unavailable.server.ts) still says when to come back.
  if (responseStatusCode === 503 && !responseHeaders.has('Retry-After')) responseHeaders.set('Retry-After', String(RETRY_AFTER_SECONDS))
  const instance = await i18nFor(await i18next.getLocale(request))
  // Bots and no-JS clients get the whole document at once; browsers get it streamed.
  const waitForAll = isbot(request.headers.get('user-agent') ?? '')
  return new Promise<Response>((resolve, reject) => {
    let shellRendered = false
    // Ends a render that is still streaming past the deferred-data timeout.
    // Cleared once everything has rendered: otherwise each finished page's
    // whole tree stayed reachable through this timer for six more seconds,
    // which under load is hundreds of pages held in memory.
    const timer = setTimeout(() => abort(), streamTimeout + 1000)
    // Called from the render's callbacks, which run after `pipe` is assigned.
    const send = () => {
      shellRendered = true
      const body = new PassThrough()
      responseHeaders.set('Content-Type', 'text/html; charset=utf-8')
      resolve(new Response(createReadableStreamFromReadable(body), { headers: responseHeaders, status: responseStatusCode }))
      pipe(body)
    }
    const { pipe, abort } = renderToPipeableStream(
      <I18nextProvider i18n={instance}>
        <NonceProvider value={nonce}>
          <RemixServer context={remixContext} url={request.url} nonce={nonce} />
        </NonceProvider>
      </I18nextProvider>,
      {
        nonce,
        onShellReady() {
          if (!waitForAll) send()
        },
        onAllReady() {
          clearTimeout(timer)
          if (waitForAll) send()
        },
        onShellError(error: unknown) {
          clearTimeout(timer)
          reject(error)
        },
        onError(error: unknown) {
          responseStatusCode = 500
          if (shellRendered) log.error({ err: error }, 'render failed after shell')
        },
      },
    )
  })
}

/** The same for data requests (a fetcher's `.data` POST), which do not pass through handleRequest. */
export function handleDataRequest(response: Response): Response {
  if (response.status === 503 && !response.headers.has('Retry-After')) response.headers.set('Retry-After', String(RETRY_AFTER_SECONDS))
  return response
}

export const handleError: HandleErrorFunction = (error, { request }) => {
  if (request.signal.aborted) return
  log.error({ err: error, path: loggablePath(new URL(request.url).pathname) }, 'request failed')
}
