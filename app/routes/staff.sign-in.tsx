import { getFormProps, getInputProps, useForm } from '@conform-to/react'
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4'
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { ErrorList, Field } from '~/components/forms'
import { staffMeta, useStaffMessage, withLng } from '~/components/staff'
import { i18next } from '~/i18next.server'
import { getDb } from '~/lib/db.server'
import { getStaff, requireSameOrigin, staffSessionCookie, staffTokenFrom } from '~/lib/staff-session.server'
import { StaffSignInSchema } from '~/models/staff-auth.schema'
import { signInWithPassword } from '~/models/staff-auth.server'
import { readFormData } from '~/lib/form-data.server'

const NOTICES = ['welcome', 'signedOut', 'expired'] as const
type Notice = (typeof NOTICES)[number]

export const meta: MetaFunction<typeof loader> = ({ data }) => staffMeta(data?.title)

export async function loader({ request }: LoaderFunctionArgs) {
  if (await getStaff(request)) throw redirect(withLng(request, '/staff'))
  const t = await i18next.getFixedT(request)
  const notice = new URL(request.url).searchParams.get('notice')
  return { title: t('staff.meta.signIn'), notice: NOTICES.find((n) => n === notice) ?? (null as Notice | null) }
}

export async function action({ request, context }: ActionFunctionArgs) {
  requireSameOrigin(request)
  const submission = parseWithZod(await readFormData(request), { schema: StaffSignInSchema })
  if (submission.status !== 'success') return data({ result: submission.reply({ hideFields: ['password'] }) }, { status: 400 })
  const result = await signInWithPassword(getDb(), submission.value, context.clientAddress, { replacing: staffTokenFrom(request) })
  if (!result.ok) {
    const throttled = result.reason === 'throttled'
    return data(
      { result: submission.reply({ formErrors: [throttled ? 'staff.signIn.throttled' : 'staff.signIn.invalid'], hideFields: ['password'] }) },
      { status: throttled ? 429 : 400 },
    )
  }
  return redirect(withLng(request, result.next === 'totp' ? '/staff/sign-in/code' : '/staff/enrol'), {
    status: 303,
    headers: { 'Set-Cookie': staffSessionCookie(result.token) },
  })
}

export default function StaffSignIn() {
  const { t } = useTranslation()
  const message = useStaffMessage()
  const { notice } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const navigation = useNavigation()
  const [form, fields] = useForm({
    id: 'staff-sign-in',
    lastResult: actionData?.result,
    constraint: getZodConstraint(StaffSignInSchema),
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
    onValidate: ({ formData }) => parseWithZod(formData, { schema: StaffSignInSchema }),
  })
  return (
    <main className="page narrow">
      <h1>{t('staff.signIn.title')}</h1>
      {notice ? (
        <p className="notice-box" role="status">
          {t(`staff.signIn.${notice}`)}
        </p>
      ) : null}
      <p>{t('staff.signIn.lead')}</p>
      <Form method="post" {...getFormProps(form)}>
        <Field
          label={t('staff.signIn.email')}
          inputProps={{ ...getInputProps(fields.email, { type: 'email' }), autoComplete: 'username' }}
          errors={fields.email.errors?.map(message)}
        />
        <Field
          label={t('staff.signIn.password')}
          inputProps={{ ...getInputProps(fields.password, { type: 'password' }), autoComplete: 'current-password' }}
          errors={fields.password.errors?.map(message)}
        />
        <ErrorList id={form.errorId} errors={form.errors?.map(message)} />
        <button className="button" type="submit" disabled={navigation.state === 'submitting'}>
          {t('staff.signIn.submit')}
        </button>
      </Form>
    </main>
  )
}
