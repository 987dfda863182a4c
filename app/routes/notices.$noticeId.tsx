/**
 * A notice's reference page (`/notices/<id>`), the address previews show: it
 * says how to answer and offers a fresh link by email to the provider's
 * registered notice address. It shows nothing of the notice, and answers the
 * same whether or not the notice exists: the id alone is not a credential.
 */
import { data, type ActionFunctionArgs, type HeadersFunction, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { i18next } from '~/i18next.server'
import { getDb } from '~/lib/db.server'
import { requestFreshNoticeLink } from '~/models/notice-answer.server'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export async function loader({ request, params }: LoaderFunctionArgs) {
  const reference = params.noticeId ?? ''
  if (!UUID.test(reference)) throw new Response('', { status: 404 })
  const t = await i18next.getFixedT(request)
  return { title: t('providerAnswer.metaTitle'), reference: reference.toLowerCase() }
}

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data?.title ?? 'Takeback' },
  { name: 'robots', content: 'noindex, nofollow' },
  { name: 'referrer', content: 'no-referrer' },
]

export const headers: HeadersFunction = () => ({ 'X-Robots-Tag': 'noindex, nofollow', 'Referrer-Policy': 'no-referrer' })

export async function action({ params, context }: ActionFunctionArgs) {
  const reference = params.noticeId ?? ''
  if (!UUID.test(reference)) throw new Response('', { status: 404 })
  // Rate limited inside, and the answer is the same whatever it did.
  await requestFreshNoticeLink(getDb(), reference.toLowerCase(), context.clientAddress)
  return data({ sent: true })
}

export default function NoticeReferencePage() {
  const { t } = useTranslation()
  const { reference } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  const navigation = useNavigation()
  return (
    <main className="page narrow">
      <h1>{t('providerAnswer.reference.title', { reference })}</h1>
      <p>{t('providerAnswer.reference.lead')}</p>
      {result?.sent ? (
        <p className="notice-box" role="status">
          {t('providerAnswer.spent.sent')}
        </p>
      ) : (
        <Form method="post">
          <button className="button" type="submit" disabled={navigation.state === 'submitting'}>
            {t('providerAnswer.spent.button')}
          </button>
        </Form>
      )}
    </main>
  )
}
