import type { SubmissionResult } from '@conform-to/react'
import { parseWithZod } from '@conform-to/zod/v4'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { LocalLink } from '~/components/chrome'
import { ErrorList } from '~/components/forms'
import { ProviderForm, ProviderFormSchema } from '~/components/provider-form'
import { StaffBar, staffMeta, useStaffMessage, When } from '~/components/staff'
import { i18next } from '~/i18next.server'
import { getDb } from '~/lib/db.server'
import { DomainError, ValidationError } from '~/lib/errors.server'
import { requireSameOrigin, requireStaff } from '~/lib/staff-session.server'
import {
  createApiKey,
  disableProvider,
  enableProvider,
  findProvider,
  listApiKeys,
  revokeApiKey,
  updateProvider,
  type Actor,
  type ApiKeyView,
} from '~/models/provider.server'
import { readFormData } from '~/lib/form-data.server'

export const meta: MetaFunction<typeof loader> = ({ data }) => staffMeta(data?.title)

export async function loader({ request, params }: LoaderFunctionArgs) {
  const me = await requireStaff(request, { role: 'admin' })
  const db = getDb()
  const provider = await findProvider(db, params.providerId ?? '')
  if (!provider) throw new Response(null, { status: 404 })
  const t = await i18next.getFixedT(request)
  return {
    title: t('providers.meta.provider', { name: provider.name }),
    me,
    provider,
    keys: await listApiKeys(db, provider.id),
    // Set by the list page's redirect after adding this provider.
    created: new URL(request.url).searchParams.has('created'),
  }
}

type Done = 'updated' | 'disabled' | 'enabled' | 'keyCreated' | 'keyRevoked'
interface ActionResult {
  done: Done | null
  error: string | null
  result?: SubmissionResult<string[]>
  /** The new API key: in this one response and nowhere else, ever. */
  newKey?: { key: string; prefix: string }
}
const reply = (r: Partial<ActionResult>, status = 200) => data<ActionResult>({ done: null, error: null, ...r }, { status })

export async function action({ request, params }: ActionFunctionArgs) {
  requireSameOrigin(request)
  const staff = await requireStaff(request, { role: 'admin' })
  const actor: Actor = { actorType: 'staff', actorId: staff.id }
  const db = getDb()
  const providerId = params.providerId ?? ''
  const formData = await readFormData(request)
  const intent = formData.get('intent')

  if (intent === 'update') {
    const submission = parseWithZod(formData, { schema: ProviderFormSchema })
    if (submission.status !== 'success') return reply({ result: submission.reply() }, 400)
    try {
      await updateProvider(db, providerId, submission.value, actor)
    } catch (error) {
      if (error instanceof ValidationError) return reply({ result: submission.reply({ fieldErrors: { [error.field]: [error.message] } }) }, 400)
      if (error instanceof DomainError) return reply({ error: error.message }, error.status)
      throw error
    }
    return reply({ done: 'updated' })
  }

  try {
    if (intent === 'disable') {
      await disableProvider(db, providerId, actor)
      return reply({ done: 'disabled' })
    }
    if (intent === 'enable') {
      await enableProvider(db, providerId, actor)
      return reply({ done: 'enabled' })
    }
    if (intent === 'create-key') {
      const { key, prefix } = await createApiKey(db, providerId, actor)
      return reply({ done: 'keyCreated', newKey: { key, prefix } })
    }
    if (intent === 'revoke-key') {
      // Only a key of the provider on this page: a stale or edited form must not revoke another provider's key.
      const keyId = formData.get('keyId')
      const keys = await listApiKeys(db, providerId)
      if (typeof keyId !== 'string' || !keys.some((k) => k.id === keyId)) return reply({ error: 'providers.errors.again' }, 400)
      await revokeApiKey(db, keyId, actor)
      return reply({ done: 'keyRevoked' })
    }
  } catch (error) {
    if (error instanceof DomainError) return reply({ error: error.message }, error.status)
    throw error
  }
  return reply({ error: 'providers.errors.again' }, 400)
}

export default function ProviderPage() {
  const { t } = useTranslation()
  const staffMessage = useStaffMessage()
  const message = (m: string) => (m.startsWith('providers.') ? t(m) : staffMessage(m))
  const { me, provider, keys, created } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const disabled = provider.disabledAt !== null
  const done = actionData?.done ?? (created ? 'created' : null)
  return (
    <main className="page">
      <StaffBar role={me.role} />
      <p>
        <LocalLink to="/staff/admin/providers">{t('providers.detail.back')}</LocalLink>
      </p>
      <h1>{provider.name}</h1>
      {done ? (
        <p className="notice-box" role="status">
          {t(`providers.done.${done}`)}
        </p>
      ) : null}
      <ErrorList id="provider-error" errors={actionData?.error ? [message(actionData.error)] : undefined} />
      {disabled ? (
        <p className="notice-box" data-disabled="">
          <strong>{t('providers.detail.disabledBox')}</strong> <When ms={provider.disabledAt!} />
        </p>
      ) : null}
      {provider.isPlaceholder ? (
        <p className="notice-box" data-placeholder="">
          <strong>{t('providers.detail.placeholderBox')}</strong>
        </p>
      ) : null}

      {actionData?.newKey ? <NewKey apiKey={actionData.newKey.key} /> : null}

      <section aria-labelledby="details-title">
        <h2 id="details-title">{t('providers.form.editTitle')}</h2>
        <ProviderForm
          // A fresh form after each save, so it starts from what was stored.
          key={provider.updatedAt}
          id="edit-provider-form"
          intent="update"
          lastResult={actionData?.result}
          initial={provider}
          submitLabel={t('providers.form.save')}
        />
      </section>

      <section aria-labelledby="keys-title">
        <h2 id="keys-title">{t('providers.detail.keysTitle')}</h2>
        <p>{t('providers.detail.keysHelp')}</p>
        {keys.length === 0 ? <p>{t('providers.detail.noKeys')}</p> : null}
        <ul className="file-list" data-testid="api-keys">
          {keys.map((k) => (
            <KeyRow key={k.id} apiKey={k} />
          ))}
        </ul>
        {disabled ? (
          <p className="hint">{t('providers.detail.keyDisabled')}</p>
        ) : (
          <Form method="post">
            <button type="submit" name="intent" value="create-key" className="button secondary">
              {t('providers.detail.newKey')}
            </button>
          </Form>
        )}
      </section>

      {disabled ? (
        <section aria-labelledby="enable-title">
          <h2 id="enable-title">{t('providers.detail.enableTitle')}</h2>
          <p>{t('providers.detail.enableHelp')}</p>
          <Form method="post">
            <button type="submit" name="intent" value="enable" className="button">
              {t('providers.detail.enable')}
            </button>
          </Form>
        </section>
      ) : (
        <section aria-labelledby="disable-title" className="danger-zone">
          <h2 id="disable-title">{t('providers.detail.disableTitle')}</h2>
          <p>{t('providers.detail.disableHelp')}</p>
          <Form method="post">
            <button type="submit" name="intent" value="disable" className="button danger">
              {t('providers.detail.disable')}
            </button>
          </Form>
        </section>
      )}
    </main>
  )
}

function NewKey({ apiKey }: { apiKey: string }) {
  const { t } = useTranslation()
  return (
    <section className="notice-box" aria-labelledby="new-key-title">
      <h2 id="new-key-title">{t('providers.detail.newKeyTitle')}</h2>
      <p>{t('providers.detail.newKeyHelp')}</p>
      <div className="field">
        <label htmlFor="new-key">{t('providers.detail.newKeyTitle')}</label>
        <input
          id="new-key"
          readOnly
          value={apiKey}
          aria-describedby="new-key-hint"
          autoComplete="off"
          spellCheck={false}
          // Selected on focus, so copying is one keystroke.
          onFocus={(e) => e.currentTarget.select()}
        />
        <span id="new-key-hint" className="hint">
          {t('providers.detail.newKeyCopy')}
        </span>
      </div>
    </section>
  )
}

function KeyRow({ apiKey: k }: { apiKey: ApiKeyView }) {
  const { t } = useTranslation()
  const navigation = useNavigation()
  return (
    <li className="file-row" data-key-prefix={k.prefix}>
      <div className="file-head">
        <code className="file-name">{t('providers.detail.keyPrefix', { prefix: k.prefix })}</code>
        {k.revokedAt !== null ? <span>{t('providers.detail.revoked')}</span> : null}
      </div>
      <dl className="hashes">
        <dt>{t('providers.detail.created')}</dt>
        <dd>
          <When ms={k.createdAt} />
        </dd>
        <dt>{t('providers.detail.lastUsed')}</dt>
        <dd>{k.lastUsedAt !== null ? <When ms={k.lastUsedAt} /> : t('providers.detail.never')}</dd>
        {k.revokedAt !== null ? (
          <>
            <dt>{t('providers.detail.revoked')}</dt>
            <dd>
              <When ms={k.revokedAt} />
            </dd>
          </>
        ) : null}
      </dl>
      {k.revokedAt === null ? (
        <Form method="post">
          <input type="hidden" name="keyId" value={k.id} />
          <button type="submit" name="intent" value="revoke-key" className="button danger" disabled={navigation.state === 'submitting'}>
            {t('providers.detail.revoke')}
          </button>
        </Form>
      ) : null}
    </li>
  )
}
