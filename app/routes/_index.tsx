import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { useTranslation } from 'react-i18next'
import { LocalLink } from '~/components/chrome'
import { i18next } from '~/i18next.server'

export async function loader({ request }: LoaderFunctionArgs) {
  const t = await i18next.getFixedT(request)
  return { title: t('home.metaTitle') }
}

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data?.title ?? 'Takeback' }]

export default function Index() {
  const { t } = useTranslation()
  return (
    <main className="page">
      <h1>{t('home.title')}</h1>
      <p className="lead">{t('home.lead')}</p>
      <div className="actions">
        <LocalLink className="button" to="/request">
          {t('home.start')}
        </LocalLink>
        <LocalLink className="button secondary" to="/status">
          {t('home.follow')}
        </LocalLink>
      </div>

      <h2>{t('home.howTitle')}</h2>
      <ol className="steps">
        {(['how1', 'how2', 'how3', 'how4', 'how5'] as const).map((k) => (
          <li key={k}>{t(`home.${k}`)}</li>
        ))}
      </ol>

      <section className="notice-box" aria-labelledby="cannot-title">
        <h2 id="cannot-title">{t('home.cannotTitle')}</h2>
        <ul className="points">
          {(['cannot1', 'cannot2', 'cannot3'] as const).map((k) => (
            <li key={k}>{t(`home.${k}`)}</li>
          ))}
        </ul>
      </section>

      <h2>{t('home.whoTitle')}</h2>
      <ul className="points">
        {(['who1', 'who2', 'who3'] as const).map((k) => (
          <li key={k}>{t(`home.${k}`)}</li>
        ))}
      </ul>
      <p>{t('home.whoNote')}</p>

      <section className="help-box" aria-labelledby="help-title">
        <h2 id="help-title">{t('home.helpTitle')}</h2>
        <p>{t('home.help1')}</p>
        <p>{t('home.help2')}</p>
        <p>{t('home.help3')}</p>
      </section>

      <p>
        {t('home.hashOnly')} <LocalLink to="/hash">{t('home.hashOnlyLink')}</LocalLink>
      </p>
    </main>
  )
}
