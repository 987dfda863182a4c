import { isRouteErrorResponse, useRouteError } from '@remix-run/react'

const MESSAGES: Record<number, { title: string; body: string }> = {
  400: { title: 'Something in the request was not right', body: 'Go back, check what you entered, and try again.' },
  403: { title: 'You cannot open this page', body: 'Your account does not allow this. Ask an administrator if you need it.' },
  404: { title: 'Page not found', body: 'The address may be mistyped, or the page may have moved. Start again from the home page.' },
  405: { title: 'That did not work', body: 'Go back and use the buttons on the page.' },
  410: { title: 'This link no longer works', body: 'It has been used or has expired.' },
  429: { title: 'Too many tries', body: 'Wait a few minutes, then try again.' },
  503: { title: 'Takeback is busy', body: 'Nothing you sent was lost. Try again in a minute.' },
}

/**
 * The error page for every route. It shows a plain message and what to do
 * next; never a stack trace or an internal message.
 */
export function GeneralErrorBoundary() {
  const error = useRouteError()
  const status = isRouteErrorResponse(error) ? error.status : 500
  const known = MESSAGES[status]
  // A route may throw a Response whose text is written for people (e.g. why a
  // link is gone). The router's own errors ("No route matches ...") are not.
  const fromRoute = isRouteErrorResponse(error) && !(error as { internal?: boolean }).internal
  const detail = fromRoute && typeof error.data === 'string' && status < 500 ? error.data : null
  const title = known?.title ?? 'Something went wrong on our side'
  const body = known?.body ?? 'Nothing you sent has been shared. Try again in a few minutes.'
  return (
    <main className="page narrow" aria-labelledby="error-title">
      <h1 id="error-title">{title}</h1>
      {detail && detail !== title ? <p>{detail}</p> : null}
      <p>{body}</p>
      <p>
        <a href="/">Go to the home page</a>
      </p>
    </main>
  )
}
