import { getFormProps, getInputProps, useForm } from '@conform-to/react'
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4'
import { type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { LocalLink } from '~/components/chrome'
import { ErrorList } from '~/components/forms'
import { CodeField, staffMeta, useStaffMessage } from '~/components/staff'
import { i18next } from '~/i18next.server'
import { codeStepAction } from '~/lib/staff-code-step.server'
import { requirePendingStaff } from '~/lib/staff-session.server'
import { TotpCodeSchema } from '~/models/staff-auth.schema'
import { confirmEnrolment, getEnrolment } from '~/models/staff-auth.server'

export const meta: MetaFunction<typeof loader> = ({ data }) => staffMeta(data?.title)

export async function loader({ request }: LoaderFunctionArgs) {
  const { staff, pending } = await requirePendingStaff(request, 'enrol')
  const t = await i18next.getFixedT(request)
  return { title: t('staff.meta.enrol'), ...(await getEnrolment(staff, pending)) }
}

export async function action({ request }: ActionFunctionArgs) {
  return codeStepAction(request, confirmEnrolment)
}

export default function StaffEnrol() {
  const { t } = useTranslation()
  const message = useStaffMessage()
  const { qrSvg, manualKey, accountName } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const navigation = useNavigation()
  const [form, fields] = useForm({
    id: 'staff-enrol',
    lastResult: actionData?.result,
    constraint: getZodConstraint(TotpCodeSchema),
    shouldValidate: 'onSubmit',
    onValidate: ({ formData }) => parseWithZod(formData, { schema: TotpCodeSchema }),
  })
  return (
    <main className="page narrow">
      <h1>{t('staff.enrol.title')}</h1>
      <p>{t('staff.enrol.lead')}</p>
      <ol className="steps">
        <li>{t('staff.enrol.step1')}</li>
        <li>
          {t('staff.enrol.step2')}
          {/* Markup made by the qrcode library from our otpauth address: paths only, no script or style. */}
          <div role="img" aria-label={t('staff.enrol.qrLabel', { account: accountName })} dangerouslySetInnerHTML={{ __html: qrSvg }} />
          <details>
            <summary>{t('staff.enrol.manualTitle')}</summary>
            <p>{t('staff.enrol.manualHelp', { account: accountName })}</p>
            <p>
              <code translate="no">{manualKey}</code>
            </p>
          </details>
        </li>
        <li>{t('staff.enrol.step3')}</li>
      </ol>
      <p className="hint">{t('staff.enrol.keepPrivate')}</p>
      <Form method="post" {...getFormProps(form)}>
        <CodeField label={t('staff.code.label')} hint={t('staff.code.hint')} inputProps={getInputProps(fields.code, { type: 'text' })} errors={fields.code.errors?.map(message)} />
        <ErrorList id={form.errorId} errors={form.errors?.map(message)} />
        <button className="button" type="submit" disabled={navigation.state === 'submitting'}>
          {t('staff.enrol.submit')}
        </button>
      </Form>
      <p>
        <LocalLink to="/staff/sign-in">{t('staff.code.startAgain')}</LocalLink>
      </p>
    </main>
  )
}
