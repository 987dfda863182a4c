import { getFormProps, getInputProps, useForm } from '@conform-to/react'
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4'
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { ErrorList, Field } from '~/components/forms'
import { i18next } from '~/i18next.server'
import { getDb } from '~/lib/db.server'
import { DomainError, GoneError, ValidationError } from '~/lib/errors.server'
import { SetupSchema, PASSWORD_MIN, PASSWORD_MAX } from '~/models/staff.schema'
import { createFirstAdmin, requireSetupInvite } from '~/models/staff.server'
import { readFormData } from '~/lib/form-data.server'

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data?.title ?? 'Takeback' }]

export async function loader({ request }: LoaderFunctionArgs) {
  const token = new URL(request.url).searchParams.get('token')
  if (!token) throw data('This page needs the set-up link printed when Takeback first started.', { status: 404 })
  await requireSetupInvite(getDb(), token).catch(rethrowAsResponse)
  const t = await i18next.getFixedT(request)
  return { token, title: t('setup.metaTitle') }
}

export async function action({ request }: ActionFunctionArgs) {
  const submission = parseWithZod(await readFormData(request), { schema: SetupSchema })
  if (submission.status !== 'success') {
    return data({ result: submission.reply({ hideFields: ['password', 'confirm'] }) }, { status: 400 })
  }
  try {
    await createFirstAdmin(getDb(), submission.value)
  } catch (error) {
    if (error instanceof ValidationError) {
      return data(
        { result: submission.reply({ fieldErrors: { [error.field]: [error.message] }, hideFields: ['password', 'confirm'] }) },
        { status: 400 },
      )
    }
    rethrowAsResponse(error)
  }
  // Away from the set-up URL: its loader would now (rightly) refuse the spent link.
  return redirect('/setup/done')
}

function rethrowAsResponse(error: unknown): never {
  if (error instanceof GoneError || error instanceof DomainError) throw data(error.message, { status: error.status })
  throw error
}

export default function Setup() {
  const { t } = useTranslation()
  const { token } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const navigation = useNavigation()
  const [form, fields] = useForm({
    id: 'setup',
    lastResult: actionData?.result,
    constraint: getZodConstraint(SetupSchema),
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
    onValidate: ({ formData }) => parseWithZod(formData, { schema: SetupSchema }),
  })

  return (
    <main className="page narrow">
      <h1>{t('setup.title')}</h1>
      <p>{t('setup.lead')}</p>
      <Form method="post" {...getFormProps(form)}>
        <input type="hidden" name="token" value={token} />
        <Field
          label={t('setup.email')}
          inputProps={{ ...getInputProps(fields.email, { type: 'email' }), autoComplete: 'username' }}
          errors={fields.email.errors}
        />
        <Field
          label={t('setup.password')}
          hint={t('setup.passwordHint', { min: PASSWORD_MIN, max: PASSWORD_MAX })}
          inputProps={{ ...getInputProps(fields.password, { type: 'password' }), autoComplete: 'new-password' }}
          errors={fields.password.errors}
        />
        <Field
          label={t('setup.confirm')}
          inputProps={{ ...getInputProps(fields.confirm, { type: 'password' }), autoComplete: 'new-password' }}
          errors={fields.confirm.errors}
        />
        <ErrorList id={form.errorId} errors={form.errors} />
        <button className="button" type="submit" disabled={navigation.state === 'submitting'}>
          {t('setup.submit')}
        </button>
      </Form>
    </main>
  )
}
