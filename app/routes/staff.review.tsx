import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { z } from 'zod'
import { LocalLink } from '~/components/chrome'
import { ErrorList } from '~/components/forms'
import { StaffBar, staffMeta, useStaffMessage, When } from '~/components/staff'
import { i18next } from '~/i18next.server'
import { getDb } from '~/lib/db.server'
import { DomainError } from '~/lib/errors.server'
import { requireSameOrigin, requireStaff } from '~/lib/staff-session.server'
import { decideReview, listReviewQueue, type ReviewItem } from '~/models/hash-reputation.server'
import { readFormData } from '~/lib/form-data.server'

export const meta: MetaFunction<typeof loader> = ({ data }) => staffMeta(data?.title)

const DecisionSchema = z.object({
  intent: z.enum(['disable', 'keep']),
  hashId: z.string().min(1).max(64),
})

export async function loader({ request }: LoaderFunctionArgs) {
  const staff = await requireStaff(request)
  const t = await i18next.getFixedT(request)
  const queue = await listReviewQueue(getDb())
  return { title: t('review.meta'), staff, ...queue }
}

interface ActionResult {
  done: 'disabled' | 'kept' | null
  error: string | null
}

export async function action({ request }: ActionFunctionArgs) {
  requireSameOrigin(request)
  const staff = await requireStaff(request)
  const parsed = DecisionSchema.safeParse(Object.fromEntries(await readFormData(request)))
  if (!parsed.success) return data<ActionResult>({ done: null, error: 'That did not work. Reload the page and try again.' }, { status: 400 })
  try {
    await decideReview(getDb(), parsed.data.hashId, parsed.data.intent, { staffId: staff.id })
  } catch (error) {
    if (error instanceof DomainError) return data<ActionResult>({ done: null, error: error.message }, { status: error.status })
    throw error
  }
  return data<ActionResult>({ done: parsed.data.intent === 'disable' ? 'disabled' : 'kept', error: null })
}

export default function ReviewQueue() {
  const { t } = useTranslation()
  const message = useStaffMessage()
  const { staff, total, items } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  return (
    <main className="page">
      <StaffBar role={staff.role} reviewCount={total} />
      <h1>{t('review.title')}</h1>
      <p>{t('review.lead')}</p>
      {actionData?.done ? (
        <p className="notice-box" role="status">
          {t(`review.done.${actionData.done}`)}
        </p>
      ) : null}
      <ErrorList id="review-error" errors={actionData?.error ? [message(actionData.error)] : undefined} />
      {items.length === 0 ? <p>{t('review.none')}</p> : null}
      <ul className="file-list" data-testid="review-queue">
        {items.map((item) => (
          <ReviewRow key={item.id} item={item} />
        ))}
      </ul>
    </main>
  )
}

function ReviewRow({ item }: { item: ReviewItem }) {
  const { t } = useTranslation()
  const navigation = useNavigation()
  const feedbackWords = (value: string) =>
    value === 'NotBlocked' || value === 'Blocked' || value === 'PendingReview' ? t(`review.feedback.${value}`) : t('review.feedback.other', { value })
  return (
    <li className="file-row" data-hash-id={item.id}>
      <div className="file-head">
        <span>
          {t(`review.kind.${item.kind}`)} <code>{item.prefix}…</code>
        </span>
        <span>{t(`review.status.${item.status}`)}</span>
      </div>
      <p className="hint">
        {t(`review.media.${item.media}`)} · {t('review.file', { item: item.item })}
        {item.frameMs !== null ? <> · {t('review.frameAt', { seconds: Math.round(item.frameMs / 1000) })}</> : null}
      </p>
      <h2 className="hint">{t('review.feedbackTitle')}</h2>
      <ul>
        {item.feedback.map((f) => (
          <li key={`${f.provider}-${f.at}`}>
            {f.provider}: {feedbackWords(f.value)} (<When ms={f.at} />)
          </li>
        ))}
      </ul>
      <p>
        <LocalLink to={`/staff/cases/${item.caseId}`}>{t('review.openCase')}</LocalLink>
      </p>
      <Form method="post" className="actions">
        <input type="hidden" name="hashId" value={item.id} />
        <button type="submit" name="intent" value="disable" className="button" disabled={navigation.state === 'submitting'}>
          {t('review.disable')}
        </button>
        <button type="submit" name="intent" value="keep" className="button secondary" disabled={navigation.state === 'submitting'}>
          {t('review.keep')}
        </button>
      </Form>
    </li>
  )
}
