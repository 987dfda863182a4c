import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Form, useLoaderData } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { LocalLink } from '~/components/chrome'
import { StaffBar, staffMeta, When } from '~/components/staff'
import { i18next } from '~/i18next.server'
import { getDb } from '~/lib/db.server'
import { requireStaff } from '~/lib/staff-session.server'
import { QUEUE_FILTERS, QueueQuerySchema } from '~/models/case-queue.schema'
import { listCases } from '~/models/case-queue.server'

export const meta: MetaFunction<typeof loader> = ({ data }) => staffMeta(data?.title)

export async function loader({ request }: LoaderFunctionArgs) {
  const staff = await requireStaff(request)
  const t = await i18next.getFixedT(request)
  const query = QueueQuerySchema.parse(Object.fromEntries(new URL(request.url).searchParams))
  const queue = await listCases(getDb(), {
    filter: query.filter,
    search: query.q,
    after: query.after,
  })
  return {
    title: t('queue.meta.list'),
    staff,
    filter: query.filter,
    q: query.q ?? '',
    ...queue,
  }
}

export default function CaseQueue() {
  const { t } = useTranslation()
  const { staff, filter, q, rows, counts, nextAfter, badSearch } = useLoaderData<typeof loader>()
  return (
    <main className="page">
      <StaffBar role={staff.role} />
      <h1>{t('queue.list.title')}</h1>

      <nav aria-label={t('queue.list.filtersLabel')}>
        <ul className="actions" data-testid="queue-filters">
          {QUEUE_FILTERS.map((f) => (
            <li key={f}>
              <LocalLink to={`/staff/cases?filter=${f}`} aria-current={!q && f === filter ? 'page' : undefined}>
                {t(`queue.filters.${f}`)} <span data-count={f}>({counts[f]})</span>
              </LocalLink>
            </li>
          ))}
        </ul>
      </nav>

      {/* GET: a search changes nothing, so it needs no same-origin check and can be bookmarked. */}
      <Form method="get" role="search">
        <label htmlFor="queue-search">{t('queue.list.searchLabel')}</label>
        <input id="queue-search" name="q" defaultValue={q} autoComplete="off" spellCheck={false} aria-describedby="queue-search-hint" />
        <p className="hint" id="queue-search-hint">
          {t('queue.list.searchHint')}
        </p>
        <button type="submit" className="button secondary">
          {t('queue.list.searchSubmit')}
        </button>
      </Form>
      {badSearch ? (
        <p className="error" role="alert">
          {t('queue.list.badSearch')}
        </p>
      ) : null}

      {rows.length === 0 && !badSearch ? <p>{t('queue.list.empty')}</p> : null}
      {rows.length > 0 ? (
        <table className="queue-table">
          <thead>
            <tr>
              <th scope="col">{t('queue.list.caseNumber')}</th>
              <th scope="col">{t('queue.list.opened')}</th>
              <th scope="col">{t('queue.list.requester')}</th>
              <th scope="col">{t('queue.list.files')}</th>
              <th scope="col">{t('queue.list.urls')}</th>
              <th scope="col">{t('queue.list.notices')}</th>
              <th scope="col">{t('queue.list.state')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} data-case-id={r.id}>
                <td>
                  <LocalLink to={`/staff/cases/${r.id}`}>{r.caseNumber}</LocalLink>
                  {r.reviewed ? null : <> {t('queue.list.newBadge')}</>}
                </td>
                <td>
                  <When ms={r.createdAt} />
                </td>
                <td>{t(`queue.requester.${r.requester}`)}</td>
                <td>{r.files}</td>
                <td>{r.urls}</td>
                <td>{r.notices}</td>
                <td>{t(`queue.caseState.${r.state}`)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {nextAfter ? (
        <p>
          <LocalLink to={`/staff/cases?filter=${filter}&after=${encodeURIComponent(nextAfter)}`}>{t('queue.list.next')}</LocalLink>
        </p>
      ) : null}
    </main>
  )
}
