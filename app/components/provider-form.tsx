import { getFormProps, getInputProps, getTextareaProps, useForm, type SubmissionResult } from '@conform-to/react'
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4'
import { Form, useNavigation } from '@remix-run/react'
import type { TextareaHTMLAttributes } from 'react'
import { useTranslation } from 'react-i18next'
import { z } from 'zod'
import { ProviderSchema, REGIMES } from '~/models/provider.schema'
import { ErrorList, Field, type ListOfErrors } from './forms'
import { useStaffMessage } from './staff'

const lines = (text: string | undefined) =>
  (text ?? '')
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter(Boolean)

/**
 * A text box of one item per line, checked by the provider schema's list
 * schema. Every problem is reported on the box itself (not on item 3 of it,
 * which has no input of its own); the domain messages quote the bad entry.
 */
function lineList<S extends z.ZodType<string[]>>(list: S) {
  return z
    .string()
    .optional()
    .transform((text, ctx): z.output<S> => {
      const result = list.safeParse(lines(text))
      if (result.success) return result.data
      for (const message of new Set(result.error.issues.map((i) => i.message))) ctx.addIssue({ code: 'custom', message })
      return z.NEVER
    })
}

/** ProviderSchema as the form sends it: domains and notice addresses one per line, the hash list as a checkbox. */
export const ProviderFormSchema = z.object({
  name: ProviderSchema.shape.name,
  domains: lineList(ProviderSchema.shape.domains),
  noticeEmails: lineList(ProviderSchema.shape.noticeEmails),
  regime: ProviderSchema.shape.regime,
  hashList: ProviderSchema.shape.hashList,
})

/** A labelled text box with its hint and errors wired up through aria-describedby, like Field. */
export function TextareaField({
  label,
  hint,
  textareaProps,
  errors,
}: {
  label: string
  hint?: string
  textareaProps: TextareaHTMLAttributes<HTMLTextAreaElement> & { id: string }
  errors?: ListOfErrors
}) {
  const id = textareaProps.id
  const hintId = hint ? `${id}-hint` : undefined
  const errorId = errors?.length ? `${id}-error` : undefined
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {hint ? (
        <span id={hintId} className="hint">
          {hint}
        </span>
      ) : null}
      <textarea
        {...textareaProps}
        aria-invalid={errorId ? true : undefined}
        aria-describedby={[hintId, errorId].filter(Boolean).join(' ') || undefined}
      />
      <ErrorList id={errorId} errors={errors} />
    </div>
  )
}

/** The provider's details, for adding one (no `initial`) or editing one. */
export function ProviderForm({
  id,
  intent,
  lastResult,
  initial,
  submitLabel,
}: {
  id: string
  intent: string
  lastResult: SubmissionResult<string[]> | null | undefined
  initial?: { name: string; domains: string[]; noticeEmails: string[]; regime: string; hashList: boolean }
  submitLabel: string
}) {
  const { t } = useTranslation()
  const message = useStaffMessage()
  const navigation = useNavigation()
  const [form, fields] = useForm({
    id,
    lastResult,
    constraint: getZodConstraint(ProviderFormSchema),
    defaultValue: initial
      ? { ...initial, domains: initial.domains.join('\n'), noticeEmails: initial.noticeEmails.join('\n') }
      : { regime: 'generic' },
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
    onValidate: ({ formData }) => parseWithZod(formData, { schema: ProviderFormSchema }),
  })
  const errors = (list: string[] | undefined) => list?.map(message)
  return (
    <Form method="post" {...getFormProps(form)}>
      <input type="hidden" name="intent" value={intent} />
      <Field
        label={t('providers.form.name')}
        inputProps={{ ...getInputProps(fields.name, { type: 'text' }), autoComplete: 'off' }}
        errors={errors(fields.name.errors)}
      />
      <TextareaField
        label={t('providers.form.domains')}
        hint={t('providers.form.domainsHint')}
        textareaProps={{ ...getTextareaProps(fields.domains), rows: 3, autoCapitalize: 'off', spellCheck: false }}
        errors={errors(fields.domains.errors)}
      />
      <TextareaField
        label={t('providers.form.noticeEmails')}
        hint={t('providers.form.noticeEmailsHint')}
        textareaProps={{ ...getTextareaProps(fields.noticeEmails), rows: 3, autoCapitalize: 'off', spellCheck: false }}
        errors={errors(fields.noticeEmails.errors)}
      />
      <fieldset className="field" aria-describedby={fields.regime.errors?.length ? `${fields.regime.id}-error` : undefined}>
        <legend>{t('providers.form.regime')}</legend>
        {REGIMES.map((regime) => (
          <label key={regime} className="choice">
            <input {...getInputProps(fields.regime, { type: 'radio', value: regime })} key={regime} />
            {t(`providers.regime.${regime}`)}
          </label>
        ))}
        <ErrorList id={`${fields.regime.id}-error`} errors={errors(fields.regime.errors)} />
      </fieldset>
      <div className="field">
        <label className="choice">
          <input
            {...getInputProps(fields.hashList, { type: 'checkbox' })}
            aria-describedby={fields.hashList.errors?.length ? `${fields.hashList.id}-error` : undefined}
          />
          {t('providers.form.hashList')}
        </label>
        <ErrorList id={`${fields.hashList.id}-error`} errors={errors(fields.hashList.errors)} />
      </div>
      <ErrorList id={form.errorId} errors={errors(form.errors)} />
      <button className="button" type="submit" disabled={navigation.state === 'submitting'}>
        {submitLabel}
      </button>
    </Form>
  )
}
