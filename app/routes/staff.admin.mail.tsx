import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { useLoaderData } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { StaffBar, staffMeta, When } from '~/components/staff'
import { i18next } from '~/i18next.server'
import { getEnv } from '~/lib/env.server'
import { listMailFiles } from '~/lib/mailer.server'
import { requireStaff } from '~/lib/staff-session.server'

export const meta: MetaFunction<typeof loader> = ({ data }) => staffMeta(data?.title)

export async function loader({ request }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, { role: 'admin' })
  const t = await i18next.getFixedT(request)
  const env = getEnv()
  // With SMTP set the folder is not written to; any old files there are not what was sent.
  const smtpSet = env.SMTP_URL !== undefined
  // Names, times and sizes only: the files hold recipients and notice text, and the full path would show the server's layout.
  const files = smtpSet ? [] : (await listMailFiles(env.DATA_DIR)).map((f) => ({ name: f.name, mtimeMs: f.mtimeMs, size: f.size }))
  return { title: t('dashboard.meta.mail'), staff, smtpSet, files }
}

export default function StaffMail() {
  const { t } = useTranslation()
  const { staff, smtpSet, files } = useLoaderData<typeof loader>()
  return (
    <main className="page">
      <StaffBar role={staff.role} />
      <h1>{t('dashboard.mail.title')}</h1>
      {smtpSet ? (
        <p className="notice-box" data-smtp="set">
          {t('dashboard.mail.smtpSet')}
        </p>
      ) : (
        <>
          <p className="hint">{t('dashboard.mail.lead')}</p>
          {files.length === 0 ? (
            <p>{t('dashboard.mail.empty')}</p>
          ) : (
            <table data-testid="mail-files">
              <thead>
                <tr>
                  <th scope="col">{t('dashboard.mail.name')}</th>
                  <th scope="col">{t('dashboard.mail.time')}</th>
                  <th scope="col">{t('dashboard.mail.size')}</th>
                </tr>
              </thead>
              <tbody>
                {files.map((f) => (
                  <tr key={f.name}>
                    <td>{f.name}</td>
                    <td>
                      <When ms={f.mtimeMs} />
                    </td>
                    <td>{t('dashboard.mail.bytes', { count: f.size })}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </main>
  )
}
