import { getFormProps, getInputProps, useForm } from '@conform-to/react'
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4'
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { ErrorList, Field } from '~/components/forms'
import { staffMeta, useStaffMessage, withLng } from '~/components/staff'
import { i18next } from '~/i18next.server'
import { getDb } from '~/lib/db.server'
import { GoneError } from '~/lib/errors.server'
import { requireSameOrigin } from '~/lib/staff-session.server'
import { AcceptInviteSchema } from '~/models/staff-auth.schema'
import { acceptInvite, findUsableInvite } from '~/models/staff-admin.server'
import { PASSWORD_MAX, PASSWORD_MIN } from '~/models/staff.schema'
import { readFormData } from '~/lib/form-data.server'

export const meta: MetaFunction<typeof loader> = ({ data }) => staffMeta(data?.title)

// Reading the page never uses the link: mail scanners open links too.
export async function loader({ request }: LoaderFunctionArgs) {
  const t = await i18next.getFixedT(request)
  const title = t('staff.meta.invite')
  const token = new URL(request.url).searchParams.get('token') ?? ''
  try {
    const invite = await findUsableInvite(getDb(), token)
    return { title, invite: { token, email: invite.email, role: invite.role } }
  } catch (error) {
    if (!(error instanceof GoneError)) throw error
    return data({ title, invite: null }, { status: 410 })
  }
}

export async function action({ request }: ActionFunctionArgs) {
  requireSameOrigin(request)
  const submission = parseWithZod(await readFormData(request), { schema: AcceptInviteSchema })
  if (submission.status !== 'success') {
    return data({ result: submission.reply({ hideFields: ['password', 'confirm'] }), gone: false }, { status: 400 })
  }
  try {
    await acceptInvite(getDb(), submission.value)
  } catch (error) {
    if (!(error instanceof GoneError)) throw error
    return data({ result: submission.reply({ hideFields: ['password', 'confirm'] }), gone: true }, { status: 410 })
  }
  return redirect(withLng(request, '/staff/sign-in?notice=welcome'), { status: 303 })
}

export default function AcceptInvite() {
  const { t } = useTranslation()
  const { invite } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  if (!invite || actionData?.gone) {
    return (
      <main className="page narrow">
        <h1>{t('staff.invite.gone')}</h1>
        <p>{t('staff.invite.goneHelp')}</p>
      </main>
    )
  }
  return <AcceptForm invite={invite} />
}

function AcceptForm({ invite }: { invite: { token: string; email: string; role: 'caseworker' | 'admin' } }) {
  const { t } = useTranslation()
  const message = useStaffMessage()
  const actionData = useActionData<typeof action>()
  const navigation = useNavigation()
  const [form, fields] = useForm({
    id: 'staff-invite',
    lastResult: actionData?.result,
    constraint: getZodConstraint(AcceptInviteSchema),
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
    onValidate: ({ formData }) => parseWithZod(formData, { schema: AcceptInviteSchema }),
  })
  return (
    <main className="page narrow">
      <h1>{t('staff.invite.title')}</h1>
      <p>{t('staff.invite.lead', { role: t(`staff.roles.${invite.role}`), email: invite.email })}</p>
      <Form method="post" {...getFormProps(form)}>
        <input type="hidden" name="token" value={invite.token} />
        {/* For password managers: the account this password belongs to. */}
        <input type="email" name="username" value={invite.email} autoComplete="username" readOnly hidden />
        <Field
          label={t('staff.invite.password')}
          hint={t('staff.invite.passwordHint', { min: PASSWORD_MIN, max: PASSWORD_MAX })}
          inputProps={{ ...getInputProps(fields.password, { type: 'password' }), autoComplete: 'new-password' }}
          errors={fields.password.errors?.map(message)}
        />
        <Field
          label={t('staff.invite.confirm')}
          inputProps={{ ...getInputProps(fields.confirm, { type: 'password' }), autoComplete: 'new-password' }}
          errors={fields.confirm.errors?.map(message)}
        />
        <ErrorList id={form.errorId} errors={form.errors?.map(message)} />
        <p className="hint">{t('staff.invite.next')}</p>
        <button className="button" type="submit" disabled={navigation.state === 'submitting'}>
          {t('staff.invite.submit')}
        </button>
      </Form>
    </main>
  )
}
