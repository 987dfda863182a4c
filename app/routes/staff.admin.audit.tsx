import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { useLoaderData } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { StaffBar, staffMeta, When } from '~/components/staff'
import { i18next } from '~/i18next.server'
import { getDb } from '~/lib/db.server'
import { requireStaff } from '~/lib/staff-session.server'
import { verifyAuditChain } from '~/models/audit.server'
import { latestAuditEntries } from '~/models/audit-view.server'

export const meta: MetaFunction<typeof loader> = ({ data }) => staffMeta(data?.title)

export async function loader({ request }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, { role: 'admin' })
  const t = await i18next.getFixedT(request)
  const db = getDb()
  const [entries, chain] = await Promise.all([latestAuditEntries(db, 200), verifyAuditChain(db)])
  return { title: t('dashboard.meta.audit'), staff, entries, chain }
}

export default function StaffAudit() {
  const { t } = useTranslation()
  const { staff, entries, chain } = useLoaderData<typeof loader>()
  return (
    <main className="page">
      <StaffBar role={staff.role} />
      <h1>{t('dashboard.audit.title')}</h1>
      <p className={chain.ok ? 'notice-box' : 'error-list'} role="status" data-chain={chain.ok ? 'ok' : 'broken'}>
        {chain.ok ? t('dashboard.audit.verifyOk', { entries: chain.entries }) : t('dashboard.audit.verifyBroken', { seq: chain.brokenAt })}
      </p>
      <p className="hint">{t('dashboard.audit.lead')}</p>
      {entries.length === 0 ? (
        <p>{t('dashboard.audit.empty')}</p>
      ) : (
        <table data-testid="audit-log">
          <thead>
            <tr>
              <th scope="col">{t('dashboard.audit.seq')}</th>
              <th scope="col">{t('dashboard.audit.time')}</th>
              <th scope="col">{t('dashboard.audit.actor')}</th>
              <th scope="col">{t('dashboard.audit.action')}</th>
              <th scope="col">{t('dashboard.audit.object')}</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.seq}>
                <td>{e.seq}</td>
                <td>
                  <When ms={e.createdAt} />
                </td>
                <td>{e.actorType}</td>
                <td>{e.action}</td>
                <td>{e.objectType ? `${e.objectType} ${e.objectId ?? ''}`.trim() : t('dashboard.none')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  )
}
