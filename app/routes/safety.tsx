import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { useTranslation } from 'react-i18next'
import { i18next } from '~/i18next.server'

export async function loader({ request }: LoaderFunctionArgs) {
  const t = await i18next.getFixedT(request)
  return { title: t('safety.metaTitle') }
}

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data?.title ?? 'Takeback' }]

export default function Safety() {
  const { t } = useTranslation()
  return (
    <main className="page narrow">
      <h1>{t('safety.title')}</h1>
      <h2>{t('safety.exitTitle')}</h2>
      <p>{t('safety.exit')}</p>
      <h2>{t('safety.historyTitle')}</h2>
      <p>{t('safety.history1')}</p>
      <p>{t('safety.history2')}</p>
      <h2>{t('safety.dataTitle')}</h2>
      <p>{t('safety.data1')}</p>
      <p>{t('safety.data2')}</p>
      <p>{t('safety.data3')}</p>
    </main>
  )
}
