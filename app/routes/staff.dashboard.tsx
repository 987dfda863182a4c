import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData } from '@remix-run/react'
import { Fragment } from 'react'
import { useTranslation } from 'react-i18next'
import { z } from 'zod'
import { BarChart } from '~/components/bar-chart'
import { LocalLink } from '~/components/chrome'
import { ErrorList } from '~/components/forms'
import { StaffBar, staffMeta, When } from '~/components/staff'
import { i18next } from '~/i18next.server'
import { getDb } from '~/lib/db.server'
import { NotFoundError } from '~/lib/errors.server'
import { requireSameOrigin, requireStaff } from '~/lib/staff-session.server'
import { overdueNotices } from '~/models/deadline.server'
import { deadLetters, noticeCountsByState, providerScorecard, sendDeadLetterAgain } from '~/models/scorecard.server'
import { readFormData } from '~/lib/form-data.server'

const HOUR = 60 * 60 * 1000

const SendAgainSchema = z.object({ intent: z.literal('send-again'), outboxId: z.string().min(1).max(100) })

export const meta: MetaFunction<typeof loader> = ({ data }) => staffMeta(data?.title)

export async function loader({ request }: LoaderFunctionArgs) {
  const staff = await requireStaff(request)
  const t = await i18next.getFixedT(request)
  const db = getDb()
  const now = Date.now()
  const [counts, overdue, dead, scores] = await Promise.all([
    noticeCountsByState(db),
    overdueNotices(db, now),
    deadLetters(db),
    providerScorecard(db, { now }),
  ])
  return { title: t('dashboard.meta.dashboard'), staff, counts, overdue, dead, scores }
}

export async function action({ request }: ActionFunctionArgs) {
  requireSameOrigin(request)
  const staff = await requireStaff(request)
  const parsed = SendAgainSchema.safeParse(Object.fromEntries(await readFormData(request)))
  if (!parsed.success) return data({ done: false, error: 'dashboard.badRequest' as const }, { status: 400 })
  try {
    await sendDeadLetterAgain(getDb(), staff, parsed.data.outboxId)
  } catch (error) {
    if (error instanceof NotFoundError) return data({ done: false, error: 'dashboard.sendAgainGone' as const }, { status: 404 })
    throw error
  }
  return data({ done: true, error: null })
}

/** Hours with one decimal, or a dash when there is no figure. */
function useHours() {
  const { t } = useTranslation()
  return (ms: number | null) => (ms === null ? t('dashboard.none') : t('dashboard.hours', { value: (ms / HOUR).toFixed(1) }))
}

export default function StaffDashboard() {
  const { t } = useTranslation()
  const hours = useHours()
  const { staff, counts, overdue, dead, scores } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  return (
    <main className="page">
      <StaffBar role={staff.role} />
      <h1>{t('dashboard.title')}</h1>
      {actionData?.done ? (
        <p className="notice-box" role="status">
          {t('dashboard.sentAgain')}
        </p>
      ) : null}
      <ErrorList id="dashboard-error" errors={actionData?.error ? [t(actionData.error)] : undefined} />

      <section aria-labelledby="counts-title">
        <h2 id="counts-title">{t('dashboard.countsTitle')}</h2>
        <dl className="hashes" data-testid="notice-counts">
          {Object.entries(counts).map(([state, n]) => (
            <Fragment key={state}>
              <dt>{t(`dashboard.states.${state as keyof typeof counts}`)}</dt>
              <dd data-count={state}>{n}</dd>
            </Fragment>
          ))}
        </dl>
      </section>

      <section aria-labelledby="overdue-title">
        <h2 id="overdue-title">{t('dashboard.overdueTitle')}</h2>
        {overdue.length === 0 ? <p>{t('dashboard.noOverdue')}</p> : null}
        <ul className="file-list">
          {overdue.map((n) => (
            <li key={n.noticeId} className="file-row" data-notice-id={n.noticeId}>
              <div className="file-head">
                <span className="file-name">{n.providerName}</span>
                <span>{t('dashboard.late', { hours: Math.floor(n.lateMs / HOUR) })}</span>
              </div>
              <dl className="hashes">
                <dt>{t('dashboard.sentAt')}</dt>
                <dd>
                  <When ms={n.sentAt} />
                </dd>
                <dt>{t('dashboard.deadline')}</dt>
                <dd>
                  <When ms={n.deadlineAt} />
                </dd>
                <dt>{t('dashboard.nextStepsLabel')}</dt>
                <dd>
                  <ul>
                    {n.nextSteps.map((step) => (
                      <li key={step}>{t(`dashboard.nextSteps.${step}`)}</li>
                    ))}
                  </ul>
                  <p className="actions">
                    <LocalLink to={`/staff/cases/${n.caseId}`}>{t('followup.dashboard.followUp')}</LocalLink>
                    {/* The packet needs the overdue mark, which the next deadline run makes. */}
                    {n.nextSteps.includes('ftc_complaint') && n.overdueAt !== null ? (
                      <LocalLink to={`/staff/notices/${n.noticeId}/ftc`}>{t('followup.dashboard.ftc')}</LocalLink>
                    ) : null}
                  </p>
                </dd>
              </dl>
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="dead-title">
        <h2 id="dead-title">{t('dashboard.deadTitle')}</h2>
        {dead.length === 0 ? (
          <p>{t('dashboard.noDead')}</p>
        ) : (
          <>
            <p className="hint">{t('dashboard.deadHelp')}</p>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('dashboard.kind')}</th>
                  <th scope="col">{t('dashboard.notice')}</th>
                  <th scope="col">{t('dashboard.attempts')}</th>
                  <th scope="col">{t('dashboard.lastError')}</th>
                  <th scope="col">{t('dashboard.deadAt')}</th>
                  <th scope="col">
                    <span className="visually-hidden">{t('dashboard.sendAgain')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {dead.map((d) => (
                  <tr key={d.id} data-outbox-id={d.id}>
                    <td>{d.kind}</td>
                    <td>{d.noticeId ?? t('dashboard.none')}</td>
                    <td>{d.attempts}</td>
                    <td>{d.lastError ?? t('dashboard.none')}</td>
                    <td>
                      <When ms={d.deadAt} />
                    </td>
                    <td>
                      <Form method="post">
                        <input type="hidden" name="outboxId" value={d.id} />
                        <button type="submit" name="intent" value="send-again" className="button secondary">
                          {t('dashboard.sendAgain')}
                        </button>
                      </Form>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </section>

      <section aria-labelledby="scorecard-title">
        <h2 id="scorecard-title">{t('dashboard.scorecardTitle')}</h2>
        <p className="hint">{t('dashboard.scorecardHelp')}</p>
        {scores.length === 0 ? (
          <p>{t('dashboard.noScores')}</p>
        ) : (
          <>
            <table data-testid="scorecard">
              <thead>
                <tr>
                  <th scope="col">{t('dashboard.provider')}</th>
                  <th scope="col">{t('dashboard.sent')}</th>
                  <th scope="col">{t('dashboard.medianAck')}</th>
                  <th scope="col">{t('dashboard.medianRemoval')}</th>
                  <th scope="col">{t('dashboard.within48')}</th>
                  <th scope="col">{t('dashboard.overdue')}</th>
                </tr>
              </thead>
              <tbody>
                {scores.map((s) => (
                  <tr key={s.providerId}>
                    <th scope="row">{s.providerName}</th>
                    <td>{s.sent}</td>
                    <td>{hours(s.medianAckMs)}</td>
                    <td>{hours(s.medianRemovalMs)}</td>
                    <td>{s.removedWithin48hShare === null ? t('dashboard.none') : `${Math.round(s.removedWithin48hShare * 100)}%`}</td>
                    <td>{s.overdue}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <BarChart
              title={t('dashboard.chartTitle')}
              description={t('dashboard.chartDesc')}
              emptyText={t('dashboard.none')}
              bars={scores.map((s) => ({ label: s.providerName, value: s.removedWithin48hShare }))}
            />
          </>
        )}
        {/* A plain link, not <Link>: the CSV is a resource route, a download rather than a page. */}
        <p>
          <a href="/staff/dashboard/scorecard.csv" download>
            {t('dashboard.downloadCsv')}
          </a>
        </p>
      </section>
    </main>
  )
}
