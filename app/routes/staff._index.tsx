import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { useLoaderData } from '@remix-run/react'
import { Fragment } from 'react'
import { useTranslation } from 'react-i18next'
import { LocalLink } from '~/components/chrome'
import { StaffBar, staffMeta } from '~/components/staff'
import { i18next } from '~/i18next.server'
import { getDb } from '~/lib/db.server'
import { requireStaff } from '~/lib/staff-session.server'
import { countCasesByState } from '~/models/staff-workspace.server'

export const meta: MetaFunction<typeof loader> = ({ data }) => staffMeta(data?.title)

export async function loader({ request }: LoaderFunctionArgs) {
  const staff = await requireStaff(request)
  const t = await i18next.getFixedT(request)
  return { title: t('staff.meta.home'), staff, counts: await countCasesByState(getDb()) }
}

export default function StaffHome() {
  const { t } = useTranslation()
  const { staff, counts } = useLoaderData<typeof loader>()
  const rows: [string, string, number][] = [
    // In the server's order (open, closed, withdrawn, deleted); a .server module cannot be imported here.
    ...Object.entries(counts.byState).map(([state, n]) => [state, t(`staff.home.state.${state}`), n] as [string, string, number]),
    ['open-unreviewed', t('staff.home.openUnreviewed'), counts.openUnreviewed],
    ['open-unassigned', t('staff.home.openUnassigned'), counts.openUnassigned],
  ]
  return (
    <main className="page">
      <StaffBar role={staff.role} />
      <h1>{t('staff.home.title')}</h1>
      <p>
        {t('staff.home.signedInAs', { email: staff.email })}
        <br />
        {t('staff.home.role', { role: t(`staff.roles.${staff.role}`) })}
      </p>

      <section aria-labelledby="cases-title">
        <h2 id="cases-title">{t('staff.home.casesTitle')}</h2>
        <p className="hint">{t('staff.home.countsHelp')}</p>
        <dl className="hashes" data-testid="case-counts">
          {rows.map(([key, label, n]) => (
            <Fragment key={key}>
              <dt>{label}</dt>
              <dd data-count={key}>{n}</dd>
            </Fragment>
          ))}
        </dl>
        <p>
          <LocalLink to="/staff/cases">{t('queue.list.title')}</LocalLink>
        </p>
      </section>

      <p>
        <LocalLink to="/staff/dashboard">{t('dashboard.title')}</LocalLink>
      </p>
      {staff.role === 'admin' ? (
        <p>
          <LocalLink to="/staff/admin/staff">{t('staff.home.manageStaff')}</LocalLink>
          {' · '}
          <LocalLink to="/staff/admin/audit">{t('dashboard.audit.title')}</LocalLink>
          {' · '}
          <LocalLink to="/staff/admin/mail">{t('dashboard.mail.title')}</LocalLink>
        </p>
      ) : null}
    </main>
  )
}
