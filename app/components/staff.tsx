import type { getInputProps } from '@conform-to/react'
import type { MetaDescriptor } from '@remix-run/node'
import { Form } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import type { StaffRole } from '../../db/schema'
import { formatDateTime } from '../lib/date-format'
import { LocalLink } from './chrome'
import { Field } from './forms'
import { useMessage } from './use-message'

/**
 * Meta tags for every staff page. The site sends `Referrer-Policy:
 * no-referrer`, under which a browser posts a plain HTML form with
 * `Origin: null`, and the staff actions (requireSameOrigin) would refuse it.
 * `same-origin` sends Origin and Referer to our own origin only, so nothing
 * more leaks to other sites.
 */
export function staffMeta(title: string | undefined): MetaDescriptor[] {
  return [
    { title: title ?? 'Takeback' },
    { name: 'robots', content: 'noindex, nofollow' },
    { name: 'referrer', content: 'same-origin' },
  ]
}

/**
 * Messages from the staff schemas and models: `staff.*` keys are looked up in
 * the page's language; other messages are English sentences from the shared
 * schemas, translated through the `validation` namespace.
 */
export function useStaffMessage() {
  const { t } = useTranslation()
  const message = useMessage()
  return (m: string) => (m.startsWith('staff.') ? t(m) : message(m))
}

/** `path` with the `?lng=` of the current request kept, for redirects. */
export function withLng(request: Request, path: string): string {
  const lng = new URL(request.url).searchParams.get('lng')
  return lng ? `${path}${path.includes('?') ? '&' : '?'}lng=${encodeURIComponent(lng)}` : path
}

/** The staff member's links and the sign-out button, above each signed-in staff page. */
/** `reviewCount`: hashes waiting for review, when the page's loader counted them (countPendingReviews). */
export function StaffBar({ role, reviewCount }: { role: StaffRole; reviewCount?: number }) {
  const { t } = useTranslation()
  return (
    <div className="status-head">
      <nav className="actions" aria-label={t('staff.nav.label')}>
        <LocalLink to="/staff">{t('staff.nav.home')}</LocalLink>
        <LocalLink to="/staff/cases">{t('queue.list.title')}</LocalLink>
        <LocalLink to="/staff/dashboard">{t('dashboard.title')}</LocalLink>
        {role === 'admin' ? <LocalLink to="/staff/admin/staff">{t('staff.nav.admin')}</LocalLink> : null}
        <LocalLink to="/staff/cases/new">{t('intake.nav')}</LocalLink>
        <LocalLink to="/staff/review">{reviewCount === undefined ? t('review.nav') : t('review.navCount', { count: reviewCount })}</LocalLink>
        {role === 'admin' ? <LocalLink to="/staff/admin/providers">{t('providers.nav')}</LocalLink> : null}
      </nav>
      <Form method="post" action="/staff/sign-out">
        <button type="submit" className="button secondary">
          {t('staff.nav.signOut')}
        </button>
      </Form>
    </div>
  )
}

/** A date and time in the reader's language; the server and the browser may differ by time zone. */
export function When({ ms }: { ms: number }) {
  const { i18n } = useTranslation()
  return (
    <time dateTime={new Date(ms).toISOString()} suppressHydrationWarning>
      {formatDateTime(i18n.language, ms)}
    </time>
  )
}

/** The one-time code input, set up for phones and password managers. */
export function CodeField({
  label,
  hint,
  inputProps,
  errors,
}: {
  label: string
  hint: string
  inputProps: ReturnType<typeof getInputProps>
  errors?: string[]
}) {
  return (
    <Field
      label={label}
      hint={hint}
      // No pattern: apps show "123 456", and the schema takes the space out.
      inputProps={{ ...inputProps, inputMode: 'numeric', autoComplete: 'one-time-code', pattern: undefined, spellCheck: false }}
      errors={errors}
    />
  )
}
