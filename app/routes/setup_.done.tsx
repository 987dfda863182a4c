import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { useTranslation } from 'react-i18next'
import { LocalLink } from '~/components/chrome'
import { i18next } from '~/i18next.server'

export async function loader({ request }: LoaderFunctionArgs) {
  const t = await i18next.getFixedT(request)
  return { title: t('setup.doneMetaTitle') }
}

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data?.title ?? 'Takeback' }]

export default function SetupDone() {
  const { t } = useTranslation()
  return (
    <main className="page narrow">
      <h1>{t('setup.doneTitle')}</h1>
      <p>{t('setup.done1')}</p>
      <p>{t('setup.done2')}</p>
      <p>
        <LocalLink className="button" to="/staff/sign-in">
          {t('setup.signIn')}
        </LocalLink>
      </p>
    </main>
  )
}
