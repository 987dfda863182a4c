import { parseWithZod } from '@conform-to/zod/v4'
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { useActionData, useLoaderData } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { LocalLink } from '~/components/chrome'
import { ProviderForm, ProviderFormSchema } from '~/components/provider-form'
import { StaffBar, staffMeta, withLng } from '~/components/staff'
import { i18next } from '~/i18next.server'
import { getDb } from '~/lib/db.server'
import { ValidationError } from '~/lib/errors.server'
import { requireSameOrigin, requireStaff } from '~/lib/staff-session.server'
import { createProvider, listProviders, type ProviderListItem } from '~/models/provider.server'
import { readFormData } from '~/lib/form-data.server'

export const meta: MetaFunction<typeof loader> = ({ data }) => staffMeta(data?.title)

export async function loader({ request }: LoaderFunctionArgs) {
  const me = await requireStaff(request, { role: 'admin' })
  const t = await i18next.getFixedT(request)
  return { title: t('providers.meta.list'), me, providers: await listProviders(getDb()) }
}

export async function action({ request }: ActionFunctionArgs) {
  requireSameOrigin(request)
  const staff = await requireStaff(request, { role: 'admin' })
  const submission = parseWithZod(await readFormData(request), { schema: ProviderFormSchema })
  if (submission.status !== 'success') return data({ result: submission.reply() }, { status: 400 })
  try {
    const { id } = await createProvider(getDb(), submission.value, { actorType: 'staff', actorId: staff.id })
    return redirect(withLng(request, `/staff/admin/providers/${id}?created=1`))
  } catch (error) {
    // A domain another provider holds is found only here, in the database.
    if (!(error instanceof ValidationError)) throw error
    return data({ result: submission.reply({ fieldErrors: { [error.field]: [error.message] } }) }, { status: 400 })
  }
}

export default function Providers() {
  const { t } = useTranslation()
  const { me, providers } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  return (
    <main className="page">
      <StaffBar role={me.role} />
      <h1>{t('providers.list.title')}</h1>
      <p>{t('providers.list.lead')}</p>

      {providers.length === 0 ? <p>{t('providers.list.none')}</p> : null}
      <ul className="file-list" data-testid="providers">
        {providers.map((p) => (
          <ProviderRow key={p.id} provider={p} />
        ))}
      </ul>

      <section aria-labelledby="new-provider-title">
        <h2 id="new-provider-title">{t('providers.form.newTitle')}</h2>
        <ProviderForm id="new-provider-form" intent="create" lastResult={actionData?.result} submitLabel={t('providers.form.create')} />
      </section>
    </main>
  )
}

function ProviderRow({ provider: p }: { provider: ProviderListItem }) {
  const { t } = useTranslation()
  return (
    <li className="file-row" data-provider-id={p.id}>
      <div className="file-head">
        <LocalLink className="file-name" to={`/staff/admin/providers/${p.id}`} aria-label={t('providers.list.open', { name: p.name })}>
          {p.name}
        </LocalLink>
        <span>{p.disabledAt === null ? t('providers.list.active') : t('providers.list.disabled')}</span>
      </div>
      {p.isPlaceholder ? (
        <p className="notice-box" data-placeholder="">
          <strong>{t('providers.list.placeholder')}</strong>
        </p>
      ) : null}
      <dl className="hashes">
        <dt>{t('providers.list.domains')}</dt>
        <dd>{p.domains.join(', ')}</dd>
        <dt>{t('providers.list.regime')}</dt>
        <dd>{t(`providers.regime.${p.regime}`)}</dd>
        <dt>{t('providers.list.hashList')}</dt>
        <dd>{p.hashList ? t('providers.list.takesHashList') : t('providers.list.noHashList')}</dd>
        <dt>{t('providers.list.apiKeys')}</dt>
        <dd>{p.apiKeys}</dd>
      </dl>
    </li>
  )
}
