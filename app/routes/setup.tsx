import { getFormProps, getInputProps, useForm } from '@conform-to/react'
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4'
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { ErrorList, Field } from '~/components/forms'
import { getDb } from '~/lib/db.server'
import { DomainError, GoneError, ValidationError } from '~/lib/errors.server'
import { SetupSchema, PASSWORD_MIN, PASSWORD_MAX } from '~/models/staff.schema'
import { createFirstAdmin, requireSetupInvite } from '~/models/staff.server'

export const meta: MetaFunction = () => [{ title: 'Set up Takeback' }]

export async function loader({ request }: LoaderFunctionArgs) {
  const token = new URL(request.url).searchParams.get('token')
  if (!token) throw data('This page needs the set-up link printed when Takeback first started.', { status: 404 })
  await requireSetupInvite(getDb(), token).catch(rethrowAsResponse)
  return { token }
}

export async function action({ request }: ActionFunctionArgs) {
  const submission = parseWithZod(await request.formData(), { schema: SetupSchema })
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
      <h1>Create the first administrator account</h1>
      <p>
        This link works once. The account you create here can invite caseworkers and other administrators.
      </p>
      <Form method="post" {...getFormProps(form)}>
        <input type="hidden" name="token" value={token} />
        <Field
          label="Email address"
          inputProps={{ ...getInputProps(fields.email, { type: 'email' }), autoComplete: 'username' }}
          errors={fields.email.errors}
        />
        <Field
          label="Password"
          hint={`${PASSWORD_MIN} to ${PASSWORD_MAX} characters. A few unrelated words make a good one.`}
          inputProps={{ ...getInputProps(fields.password, { type: 'password' }), autoComplete: 'new-password' }}
          errors={fields.password.errors}
        />
        <Field
          label="Password again"
          inputProps={{ ...getInputProps(fields.confirm, { type: 'password' }), autoComplete: 'new-password' }}
          errors={fields.confirm.errors}
        />
        <ErrorList id={form.errorId} errors={form.errors} />
        <button className="button" type="submit" disabled={navigation.state === 'submitting'}>
          Create account
        </button>
      </Form>
    </main>
  )
}
