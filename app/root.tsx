import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Links, Meta, Outlet, Scripts, ScrollRestoration, useRouteLoaderData } from '@remix-run/react'
import type { ReactNode } from 'react'
import { useTranslation } from 'react-i18next'
import { useChangeLanguage } from 'remix-i18next/react'
import { SiteFooter, SiteHeader } from './components/chrome'
import { GeneralErrorBoundary } from './components/error-boundary'
import { useNonce } from './components/nonce'
import { fallbackLanguage, languageDirection } from './i18n'
import { i18next } from './i18next.server'
import styles from './styles/app.css?url'

export const links: LinksFunction = () => [
  { rel: 'stylesheet', href: styles },
  { rel: 'icon', href: '/favicon.svg', type: 'image/svg+xml' },
]

export const meta: MetaFunction = () => [
  { title: 'Takeback' },
  // Survivors may share a device with the person who hurt them: keep pages out of search results and previews.
  { name: 'robots', content: 'noindex, nofollow' },
]

export async function loader({ request }: LoaderFunctionArgs) {
  return { locale: await i18next.getLocale(request) }
}

export function Layout({ children }: { children: ReactNode }) {
  const nonce = useNonce()
  const data = useRouteLoaderData<typeof loader>('root')
  const locale = data?.locale ?? fallbackLanguage
  const { i18n } = useTranslation()
  useChangeLanguage(locale)
  return (
    <html lang={locale} dir={languageDirection(locale)}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        {/* Before anything else, so quick exit works while the page is still loading. */}
        <script src="/quick-exit.js" />
        <Meta />
        <Links />
      </head>
      <body>
        <SiteHeader locale={i18n.language ?? locale} />
        <div id="main" tabIndex={-1}>
          {children}
        </div>
        <SiteFooter />
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  )
}

export default function App() {
  return <Outlet />
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
