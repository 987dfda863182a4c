import { getFormProps, getInputProps, useForm } from '@conform-to/react'
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { ErrorList, Field } from '~/components/forms'
import { StaffBar, staffMeta, useStaffMessage, When } from '~/components/staff'
import { i18next } from '~/i18next.server'
import { getDb } from '~/lib/db.server'
import { NotFoundError, ValidationError } from '~/lib/errors.server'
import { requireSameOrigin, requireStaff } from '~/lib/staff-session.server'
import { INVITE_LANGUAGES, InviteStaffSchema, STAFF_ROLES, StaffAccountActionSchema } from '~/models/staff-auth.schema'
import {
  inviteStaff,
  listOpenInvites,
  listStaffAccounts,
  resetSecondFactor,
  setStaffDisabled,
  type StaffAccountView,
} from '~/models/staff-admin.server'
import { readFormData } from '~/lib/form-data.server'

type Done = 'invited' | 'disabled' | 'enabled' | 'reset'

export const meta: MetaFunction<typeof loader> = ({ data }) => staffMeta(data?.title)

export async function loader({ request }: LoaderFunctionArgs) {
  const actor = await requireStaff(request, { role: 'admin' })
  const t = await i18next.getFixedT(request)
  const db = getDb()
  const [accounts, invites] = await Promise.all([listStaffAccounts(db, actor), listOpenInvites(db, actor)])
  return { title: t('staff.meta.admin'), me: actor, accounts, invites, language: await i18next.getLocale(request) }
}

export async function action({ request }: ActionFunctionArgs) {
  requireSameOrigin(request)
  const actor = await requireStaff(request, { role: 'admin' })
  const db = getDb()
  const formData = await readFormData(request)

  if (formData.get('intent') === 'invite') {
    const submission = parseWithZod(formData, { schema: InviteStaffSchema })
    if (submission.status !== 'success') return data({ invite: submission.reply(), done: null, error: null }, { status: 400 })
    try {
      await inviteStaff(db, actor, submission.value)
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error
      return data({ invite: submission.reply({ fieldErrors: { [error.field]: [error.message] } }), done: null, error: null }, { status: 400 })
    }
    return data({ invite: submission.reply({ resetForm: true }), done: 'invited' as Done, error: null })
  }

  const parsed = StaffAccountActionSchema.safeParse(Object.fromEntries(formData))
  if (!parsed.success) return data({ invite: null, done: null, error: 'That did not work. Reload the page and try again.' }, { status: 400 })
  const { intent, staffId } = parsed.data
  try {
    if (intent === 'reset-totp') await resetSecondFactor(db, actor, staffId)
    else await setStaffDisabled(db, actor, staffId, intent === 'disable')
  } catch (error) {
    if (error instanceof ValidationError || error instanceof NotFoundError) {
      return data({ invite: null, done: null, error: error.message }, { status: error.status })
    }
    throw error
  }
  const done: Done = intent === 'reset-totp' ? 'reset' : intent === 'disable' ? 'disabled' : 'enabled'
  return data({ invite: null, done, error: null })
}

export default function StaffAdmin() {
  const { t } = useTranslation()
  const message = useStaffMessage()
  const { me, accounts, invites } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  return (
    <main className="page">
      <StaffBar role={me.role} />
      <h1>{t('staff.admin.title')}</h1>
      {actionData?.done ? (
        <p className="notice-box" role="status">
          {t(`staff.admin.done.${actionData.done}`)}
        </p>
      ) : null}
      <ErrorList id="account-error" errors={actionData?.error ? [message(actionData.error)] : undefined} />

      <section aria-labelledby="accounts-title">
        <h2 id="accounts-title">{t('staff.admin.accountsTitle')}</h2>
        <ul className="file-list">
          {accounts.map((a) => (
            <AccountRow key={a.id} account={a} isMe={a.id === me.id} />
          ))}
        </ul>
        <p className="hint">{t('staff.admin.resetHelp')}</p>
      </section>

      <InviteForm />

      <section aria-labelledby="invites-title">
        <h2 id="invites-title">{t('staff.admin.invitesTitle')}</h2>
        {invites.length === 0 ? <p>{t('staff.admin.noInvites')}</p> : null}
        <ul className="file-list">
          {invites.map((i) => (
            <li key={i.id} className="file-row">
              <div className="file-head">
                <span className="file-name">{i.email}</span>
                <span>{t(`staff.roles.${i.role}`)}</span>
              </div>
              <p className="hint">
                {t('staff.admin.expires')} <When ms={i.expiresAt} />
              </p>
            </li>
          ))}
        </ul>
      </section>
    </main>
  )
}

function AccountRow({ account: a, isMe }: { account: StaffAccountView; isMe: boolean }) {
  const { t } = useTranslation()
  return (
    <li className="file-row" data-staff-id={a.id}>
      <div className="file-head">
        <span className="file-name">
          {a.email} {isMe ? t('staff.admin.you') : null}
        </span>
        <span>{t(`staff.roles.${a.role}`)}</span>
      </div>
      <dl className="hashes">
        <dt>{t('staff.admin.status')}</dt>
        <dd>{a.disabled ? t('staff.admin.disabled') : t('staff.admin.active')}</dd>
        <dt>{t('staff.admin.secondFactor')}</dt>
        <dd>{a.enrolled ? t('staff.admin.enrolled') : t('staff.admin.notEnrolled')}</dd>
        <dt>{t('staff.admin.lastSignIn')}</dt>
        <dd>{a.lastSignInAt ? <When ms={a.lastSignInAt} /> : t('staff.admin.never')}</dd>
      </dl>
      <div className="actions">
        {isMe ? null : (
          <AccountButton staffId={a.id} intent={a.disabled ? 'enable' : 'disable'} label={a.disabled ? t('staff.admin.enable') : t('staff.admin.disable')} />
        )}
        {a.enrolled ? <AccountButton staffId={a.id} intent="reset-totp" label={t('staff.admin.resetTotp')} /> : null}
      </div>
    </li>
  )
}

function AccountButton({ staffId, intent, label }: { staffId: string; intent: string; label: string }) {
  return (
    <Form method="post">
      <input type="hidden" name="staffId" value={staffId} />
      <button type="submit" name="intent" value={intent} className={intent === 'enable' ? 'button secondary' : 'button danger'}>
        {label}
      </button>
    </Form>
  )
}

function InviteForm() {
  const { t } = useTranslation()
  const message = useStaffMessage()
  const { language } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const navigation = useNavigation()
  const [form, fields] = useForm({
    id: 'staff-invite-form',
    lastResult: actionData?.invite,
    constraint: getZodConstraint(InviteStaffSchema),
    defaultValue: { role: 'caseworker', language: INVITE_LANGUAGES.find((l) => l === language) ?? 'en' },
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
    onValidate: ({ formData }) => parseWithZod(formData, { schema: InviteStaffSchema }),
  })
  return (
    <section aria-labelledby="invite-title">
      <h2 id="invite-title">{t('staff.admin.inviteTitle')}</h2>
      <p>{t('staff.admin.inviteLead')}</p>
      <Form method="post" {...getFormProps(form)}>
        <input type="hidden" name="intent" value="invite" />
        <Field
          label={t('staff.admin.inviteEmail')}
          inputProps={{ ...getInputProps(fields.email, { type: 'email' }), autoComplete: 'off' }}
          errors={fields.email.errors?.map(message)}
        />
        <fieldset aria-describedby={fields.role.errors?.length ? `${fields.role.id}-error` : undefined}>
          <legend>{t('staff.admin.inviteRole')}</legend>
          {STAFF_ROLES.map((role) => (
            <label key={role} className="choice">
              <input {...getInputProps(fields.role, { type: 'radio', value: role })} key={role} />
              {t(`staff.roles.${role}`)}
            </label>
          ))}
          <ErrorList id={`${fields.role.id}-error`} errors={fields.role.errors?.map(message)} />
        </fieldset>
        <fieldset aria-describedby={fields.language.errors?.length ? `${fields.language.id}-error` : undefined}>
          <legend>{t('staff.admin.inviteLanguage')}</legend>
          {INVITE_LANGUAGES.map((lng) => (
            <label key={lng} className="choice">
              <input {...getInputProps(fields.language, { type: 'radio', value: lng })} key={lng} />
              {t(`staff.admin.languages.${lng}`)}
            </label>
          ))}
          <ErrorList id={`${fields.language.id}-error`} errors={fields.language.errors?.map(message)} />
        </fieldset>
        <ErrorList id={form.errorId} errors={form.errors?.map(message)} />
        <button className="button" type="submit" disabled={navigation.state === 'submitting'}>
          {t('staff.admin.inviteSubmit')}
        </button>
      </Form>
    </section>
  )
}
