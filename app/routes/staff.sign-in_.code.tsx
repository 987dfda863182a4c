import { getFormProps, getInputProps, useForm } from '@conform-to/react'
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4'
import { type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useNavigation } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { LocalLink } from '~/components/chrome'
import { ErrorList } from '~/components/forms'
import { CodeField, staffMeta, useStaffMessage } from '~/components/staff'
import { i18next } from '~/i18next.server'
import { codeStepAction } from '~/lib/staff-code-step.server'
import { requirePendingStaff } from '~/lib/staff-session.server'
import { TotpCodeSchema } from '~/models/staff-auth.schema'
import { verifySignInCode } from '~/models/staff-auth.server'

export const meta: MetaFunction<typeof loader> = ({ data }) => staffMeta(data?.title)

export async function loader({ request }: LoaderFunctionArgs) {
  await requirePendingStaff(request, 'totp')
  const t = await i18next.getFixedT(request)
  return { title: t('staff.meta.code') }
}

export async function action({ request }: ActionFunctionArgs) {
  return codeStepAction(request, verifySignInCode)
}

export default function StaffSignInCode() {
  const { t } = useTranslation()
  const message = useStaffMessage()
  const actionData = useActionData<typeof action>()
  const navigation = useNavigation()
  const [form, fields] = useForm({
    id: 'staff-code',
    lastResult: actionData?.result,
    constraint: getZodConstraint(TotpCodeSchema),
    shouldValidate: 'onSubmit',
    onValidate: ({ formData }) => parseWithZod(formData, { schema: TotpCodeSchema }),
  })
  return (
    <main className="page narrow">
      <h1>{t('staff.code.title')}</h1>
      <p>{t('staff.code.lead')}</p>
      <Form method="post" {...getFormProps(form)}>
        <CodeField label={t('staff.code.label')} hint={t('staff.code.hint')} inputProps={getInputProps(fields.code, { type: 'text' })} errors={fields.code.errors?.map(message)} />
        <ErrorList id={form.errorId} errors={form.errors?.map(message)} />
        <button className="button" type="submit" disabled={navigation.state === 'submitting'}>
          {t('staff.code.submit')}
        </button>
      </Form>
      <p className="hint">{t('staff.code.lost')}</p>
      <p>
        <LocalLink to="/staff/sign-in">{t('staff.code.startAgain')}</LocalLink>
      </p>
    </main>
  )
}

