import { isRouteErrorResponse, useRouteError } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { LocalLink } from './chrome'

const KNOWN = [400, 403, 404, 405, 410, 429, 503] as const

/**
 * The error page for every route. It shows a plain message and what to do
 * next; never a stack trace or an internal message.
 */
export function GeneralErrorBoundary() {
  const { t } = useTranslation()
  const error = useRouteError()
  const status = isRouteErrorResponse(error) ? error.status : 500
  const key = (KNOWN as readonly number[]).includes(status) ? status : 500
  // A route may throw a Response whose text is written for people (e.g. why a
  // link is gone). The router's own errors ("No route matches ...") are not.
  const fromRoute = isRouteErrorResponse(error) && !(error as { internal?: boolean }).internal
  const detail = fromRoute && typeof error.data === 'string' && status < 500 ? error.data : null
  const title = t(`errors.${key}.title`)
  return (
    <main className="page narrow" aria-labelledby="error-title">
      <h1 id="error-title">{title}</h1>
      {detail && detail !== title ? <p>{detail}</p> : null}
      <p>{t(`errors.${key}.body`)}</p>
      <p>
        <LocalLink to="/">{t('errors.home')}</LocalLink>
      </p>
    </main>
  )
}
