import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { LocalLink } from '~/components/chrome'
import { ErrorList } from '~/components/forms'
import { useMessage } from '~/components/use-message'
import { i18next } from '~/i18next.server'
import { getDb } from '~/lib/db.server'
import { GoneError } from '~/lib/errors.server'
import { fieldErrors } from '~/lib/field-errors'
import { RecoveryRequestSchema, RecoveryTokenSchema } from '~/models/case.schema'
import { checkRecoveryToken, redeemRecovery, requestRecovery } from '~/models/case.server'
import { readFormData } from '~/lib/form-data.server'

type Result =
  | { step: 'sent' }
  | { step: 'new-secret'; caseNumber: string; secret: string }
  | { step: 'error'; errors: Record<string, string[]> }

export async function loader({ request }: LoaderFunctionArgs) {
  const t = await i18next.getFixedT(request)
  const token = new URL(request.url).searchParams.get('token')
  if (token) {
    // Opening the link only checks it: mail scanners open links too, so the
    // new secret is made on the button press (POST), never on GET. A spent
    // link is answered here rather than thrown, because this loader runs
    // again right after the button spends it, under the new secret's page.
    if (!RecoveryTokenSchema.safeParse(token).success) return data({ title: t('recover.metaTitle'), token: null, gone: t('recover.linkBroken') }, { status: 410 })
    const gone = await checkRecoveryToken(getDb(), token).then(
      () => null,
      (error) => {
        if (error instanceof GoneError) return error.message
        throw error
      },
    )
    if (gone) return data({ title: t('recover.metaTitle'), token: null, gone }, { status: 410 })
  }
  return { title: t('recover.metaTitle'), token, gone: null as string | null }
}

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data?.title ?? 'Takeback' }]

export async function action({ request, context }: ActionFunctionArgs) {
  const form = Object.fromEntries(await readFormData(request))
  if (form.intent === 'redeem') {
    const token = RecoveryTokenSchema.safeParse(form.token)
    if (!token.success) return data<Result>({ step: 'error', errors: fieldErrors(token.error) }, { status: 400 })
    try {
      const created = await redeemRecovery(getDb(), token.data)
      return data<Result>({ step: 'new-secret', caseNumber: created.caseNumber, secret: created.secret })
    } catch (error) {
      if (error instanceof GoneError) throw data(error.message, { status: 410 })
      throw error
    }
  }
  const parsed = RecoveryRequestSchema.safeParse(form)
  if (!parsed.success) return data<Result>({ step: 'error', errors: fieldErrors(parsed.error) }, { status: 400 })
  const result = await requestRecovery(getDb(), parsed.data, context.clientAddress)
  if (!result.ok) return data<Result>({ step: 'error', errors: { form: ['Too many tries from here. Wait 15 minutes, then try again.'] } }, { status: 429 })
  return data<Result>({ step: 'sent' })
}

export default function Recover() {
  const { t } = useTranslation()
  const message = useMessage()
  const { token, gone } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  const navigation = useNavigation()
  const errors = result?.step === 'error' ? result.errors : {}
  const errorFor = (f: string) => errors[f]?.map(message)

  if (result?.step === 'new-secret') {
    return (
      <main className="page narrow">
        <h1>{t('recover.newTitle')}</h1>
        <dl className="codes">
          <dt>{t('created.caseNumber')}</dt>
          <dd>
            <code data-testid="case-number">{result.caseNumber}</code>
          </dd>
          <dt>{t('created.secret')}</dt>
          <dd>
            <code data-testid="case-secret">{result.secret}</code>
          </dd>
        </dl>
        <p className="notice-box">
          <strong>{t('created.writeDown')}</strong> {t('recover.oldStops')}
        </p>
        <p>
          <LocalLink className="button" to="/status">
            {t('created.follow')}
          </LocalLink>
        </p>
      </main>
    )
  }
  if (gone) {
    return (
      <main className="page narrow">
        <h1>{t('errors.410.title')}</h1>
        <p>{message(gone)}</p>
        <p>
          <LocalLink to="/recover">{t('recover.askAgain')}</LocalLink>
        </p>
      </main>
    )
  }
  if (result?.step === 'sent') {
    return (
      <main className="page narrow">
        <h1>{t('recover.sentTitle')}</h1>
        <p>{t('recover.sent')}</p>
      </main>
    )
  }
  if (token) {
    return (
      <main className="page narrow">
        <h1>{t('recover.redeemTitle')}</h1>
        <p>{t('recover.redeemLead')}</p>
        <Form method="post">
          <input type="hidden" name="intent" value="redeem" />
          <input type="hidden" name="token" value={token} />
          <ErrorList id="redeem-error" errors={errorFor('form')} />
          <button className="button" type="submit" disabled={navigation.state === 'submitting'}>
            {t('recover.redeem')}
          </button>
        </Form>
      </main>
    )
  }
  return (
    <main className="page narrow">
      <h1>{t('recover.title')}</h1>
      <p>{t('recover.lead')}</p>
      <Form method="post" noValidate>
        <input type="hidden" name="intent" value="request" />
        <div className="field">
          <label htmlFor="caseNumber">{t('created.caseNumber')}</label>
          <input id="caseNumber" name="caseNumber" autoComplete="off" autoCapitalize="characters" spellCheck={false} aria-invalid={errorFor('caseNumber') ? true : undefined} aria-describedby={errorFor('caseNumber') ? 'caseNumber-error' : undefined} />
          <ErrorList id="caseNumber-error" errors={errorFor('caseNumber')} />
        </div>
        <div className="field">
          <label htmlFor="email">{t('request.contactLabel')}</label>
          <input id="email" name="email" type="email" autoComplete="email" aria-invalid={errorFor('email') ? true : undefined} aria-describedby={errorFor('email') ? 'email-error' : undefined} />
          <ErrorList id="email-error" errors={errorFor('email')} />
        </div>
        <ErrorList id="recover-error" errors={errorFor('form')} />
        <button className="button" type="submit" disabled={navigation.state === 'submitting'}>
          {t('recover.send')}
        </button>
      </Form>
      <p className="hint">{t('recover.noEmail')}</p>
    </main>
  )
}
