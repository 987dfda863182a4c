import { Link, useLocation, useSearchParams, type LinkProps } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { locales, supportedLanguages } from '~/i18n'

/** The address of the neutral page quick exit goes to (public/quick-exit.js does the work). */
export const QUICK_EXIT_URL = 'https://www.bbc.co.uk/weather'

/**
 * A link that keeps the language the person chose. Public pages set no
 * cookies, so the choice travels in the address (?lng=).
 */
export function LocalLink({ to, ...props }: LinkProps & { to: string }) {
  const [params] = useSearchParams()
  const lng = params.get('lng')
  const href = lng ? `${to}${to.includes('?') ? '&' : '?'}lng=${encodeURIComponent(lng)}` : to
  return <Link to={href} {...props} />
}

export function QuickExit() {
  const { t } = useTranslation()
  return (
    <div className="quick-exit">
      <a className="quick-exit-button" href={QUICK_EXIT_URL} rel="noreferrer" data-quick-exit="">
        {t('quickExit.button')}
      </a>
      <span className="quick-exit-hint">{t('quickExit.hint')}</span>
    </div>
  )
}

/** A link to this page in each other language, named in that language. */
export function LanguageSwitch({ locale }: { locale: string }) {
  const { t } = useTranslation()
  const location = useLocation()
  const [params] = useSearchParams()
  return (
    <nav className="language-switch" aria-label={t('language.label')}>
      {supportedLanguages
        .filter((lng) => lng !== locale)
        .map((lng) => {
          const next = new URLSearchParams(params)
          next.set('lng', lng)
          return (
            <Link key={lng} to={`${location.pathname}?${next}`} lang={lng} hrefLang={lng}>
              {locales[lng]!.name}
            </Link>
          )
        })}
    </nav>
  )
}

export function SiteHeader({ locale }: { locale: string }) {
  const { t } = useTranslation()
  return (
    <header className="site-header">
      <a className="skip-link" href="#main">
        {t('skipToContent')}
      </a>
      <div className="site-header-inner">
        <LocalLink className="brand" to="/">
          {t('brand')}
        </LocalLink>
        <div className="header-tools">
          <LanguageSwitch locale={locale} />
          <QuickExit />
        </div>
      </div>
    </header>
  )
}

export function SiteFooter() {
  const { t } = useTranslation()
  return (
    <footer className="site-footer">
      <div className="site-footer-inner">
        <LocalLink to="/safety">{t('footer.safety')}</LocalLink>
        <span>{t('footer.privacy')}</span>
      </div>
    </footer>
  )
}
