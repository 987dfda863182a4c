/**
 * Assisted intake: a caseworker opens a case on a survivor's behalf from the
 * output of `takeback hash` (hashes only; the images never come here), with
 * any web addresses and the survivor's consent. The case goes through the
 * same schema and model function as the survivor's own form and the
 * `takeback case create` command (NewRequestSchema, createCase).
 */
import { getFormProps, getInputProps, getTextareaProps, useForm, type SubmissionResult } from '@conform-to/react'
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { useState, type ChangeEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { z } from 'zod'
import { LocalLink } from '~/components/chrome'
import { ErrorList } from '~/components/forms'
import { TextareaField } from '~/components/provider-form'
import { StaffBar, staffMeta, useStaffMessage } from '~/components/staff'
import { i18next } from '~/i18next.server'
import { getDb } from '~/lib/db.server'
import { ValidationError } from '~/lib/errors.server'
import { requireSameOrigin, requireStaff } from '~/lib/staff-session.server'
import { randomToken } from '~/lib/tokens.server'
import { IdempotencyKeySchema, LANGUAGES, NewRequestSchema, REQUESTERS, type NewRequestInput } from '~/models/case.schema'
import { createCase } from '~/models/case.server'
import { readHashLines } from '~/models/hash-lines'
import { readFormData } from '~/lib/form-data.server'

export const meta: MetaFunction<typeof loader> = ({ data }) => staffMeta(data?.title)

/**
 * Far above what one case can hold (100 files, 2,000 hash values, a few
 * hundred bytes of JSON each), so a real `takeback hash` output always fits.
 */
const MAX_HASHES_TEXT = 2_000_000

/** What the form sends. The hash lines and the request as a whole are checked in the action, against NewRequestSchema. */
const IntakeFormSchema = z.object({
  idempotencyKey: IdempotencyKeySchema,
  hashes: z.string().max(MAX_HASHES_TEXT, 'intake.lines.tooLong').optional(),
  urls: z.string().optional(),
  requester: NewRequestSchema.shape.requester,
  language: NewRequestSchema.shape.language,
  shareHashes: z.boolean().default(false),
  noticesConsent: z.boolean().default(false),
})

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The same text without the `file` field of each line, for the browser to send: a file name can say much about a person. */
function withoutFileNames(text: string): string {
  return text
    .split(/\r?\n/)
    .map((raw) => {
      try {
        const value: unknown = JSON.parse(raw)
        if (isObject(value) && 'file' in value) {
          delete value.file
          return JSON.stringify(value)
        }
      } catch {
        // Kept as it is, so the server names the bad line by the same number.
      }
      return raw
    })
    .join('\n')
}

const splitLines = (text: string) =>
  text
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter(Boolean)

export async function loader({ request }: LoaderFunctionArgs) {
  const staff = await requireStaff(request)
  const t = await i18next.getFixedT(request)
  const locale = await i18next.getLocale(request)
  return {
    title: t('intake.meta'),
    staff,
    // One per page load: sending the same form twice opens one case, as on the survivor's form.
    idempotencyKey: randomToken(18),
    language: LANGUAGES.find((l) => l === locale) ?? 'en',
  }
}

interface Created {
  caseId: string
  caseNumber: string
  secret: string
  files: number
  urls: number
  warnings: string[]
}
interface ActionResult {
  result: SubmissionResult<string[]>
  /** The case number and secret: in this one response only; the secret is stored only hashed. */
  created: Created | null
}

export async function action({ request }: ActionFunctionArgs) {
  requireSameOrigin(request)
  const staff = await requireStaff(request)
  const submission = parseWithZod(await readFormData(request), { schema: IntakeFormSchema })
  if (submission.status !== 'success') return data<ActionResult>({ result: submission.reply(), created: null }, { status: 400 })
  const form = submission.value
  const t = await i18next.getFixedT(request)
  const tv = await i18next.getFixedT(request, 'validation')
  const translate = (m: string | undefined) => tv(m ?? '', { defaultValue: m ?? '', keySeparator: false, nsSeparator: false })
  const fail = (fieldErrors: Record<string, string[]>) =>
    data<ActionResult>({ result: submission.reply({ fieldErrors }), created: null }, { status: 400 })

  // Messages that name a line are worded here, in the page's language: the line number goes inside the sentence.
  // Read as `takeback case create` reads them: a line that reports an error is
  // skipped, the same file twice is kept once, and the file name is never read.
  const read = readHashLines(form.hashes ?? '')
  if ('problem' in read) return fail({ hashes: [t(`intake.lines.${read.problem}`, { line: read.line, detail: translate(read.detail) })] })

  const request_: NewRequestInput = {
    idempotencyKey: form.idempotencyKey,
    requester: form.requester,
    language: form.language,
    files: read.items,
    urls: form.urls ?? '',
    shareHashes: form.shareHashes,
    noticesConsent: form.noticesConsent,
  }
  // The schema createCase parses with, checked first so every problem is reported, each on its field.
  const checked = NewRequestSchema.safeParse(request_)
  if (!checked.success) {
    const urlLines = splitLines(form.urls ?? '')
    const errors: Record<string, string[]> = {}
    const add = (field: string, m: string) => {
      const list = (errors[field] ??= [])
      if (!list.includes(m)) list.push(m)
    }
    for (const issue of checked.error.issues) {
      const [field, index] = issue.path
      if (field === 'files') {
        add('hashes', typeof index === 'number' ? t('intake.lines.invalid', { line: read.lineOfItem[index], detail: translate(issue.message) }) : translate(issue.message))
      } else if (field === 'urls') {
        add('urls', typeof index === 'number' ? t('intake.urlInvalid', { url: urlLines[index], detail: translate(issue.message) }) : translate(issue.message))
      } else if (field === 'shareHashes') {
        // The schema's own sentence speaks to the survivor; here a caseworker records their answer.
        add('shareHashes', t('intake.consent.share'))
      } else if (field === 'noticesConsent') {
        add('noticesConsent', t('intake.consent.notices'))
      } else {
        add('', translate(issue.message))
      }
    }
    return fail(errors)
  }

  try {
    const created = await createCase(getDb(), request_, Date.now(), { source: 'assisted', actor: { actorType: 'staff', actorId: staff.id } })
    const warnings = read.warnings.map((w) => t(`intake.warnings.${w.kind}`, w))
    return data<ActionResult>({
      result: submission.reply({ resetForm: true }),
      created: { ...created, files: read.items.length, urls: checked.data.urls.length, warnings },
    })
  } catch (error) {
    // The same form sent again with other content under its idempotency key.
    if (!(error instanceof ValidationError)) throw error
    return fail({ '': [translate(error.message)] })
  }
}

export default function NewCase() {
  const { t } = useTranslation()
  const { staff } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const created = actionData?.created
  return (
    <main className="page">
      <div className="no-print">
        <StaffBar role={staff.role} />
      </div>
      {created ? (
        <CaseOpened created={created} />
      ) : (
        <>
          <h1>{t('intake.title')}</h1>
          <p>{t('intake.lead')}</p>
          <IntakeForm lastResult={actionData?.result} />
        </>
      )}
    </main>
  )
}

function CaseOpened({ created }: { created: Created }) {
  const { t } = useTranslation()
  return (
    <section aria-labelledby="created-title">
      <h1 id="created-title">{t('intake.done.title', { caseNumber: created.caseNumber })}</h1>
      <p className="notice-box" role="status">
        <strong>{t('intake.done.lead')}</strong>
      </p>
      <dl className="codes">
        <dt>{t('intake.done.caseNumber')}</dt>
        <dd>
          <code data-testid="case-number">{created.caseNumber}</code>
        </dd>
        <dt>{t('intake.done.secret')}</dt>
        <dd>
          <code data-testid="case-secret">{created.secret}</code>
        </dd>
      </dl>
      <p>{t('intake.done.how')}</p>
      <p className="no-print">{t('intake.done.summary', { files: created.files, urls: created.urls })}</p>
      {created.warnings.length > 0 ? (
        <div className="no-print">
          <h2>{t('intake.warnings.title')}</h2>
          <ul>
            {created.warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </div>
      ) : null}
      <div className="actions no-print">
        <button type="button" className="button secondary" onClick={() => window.print()}>
          {t('intake.done.print')}
        </button>
        <LocalLink className="button" to={`/staff/cases/${created.caseId}`}>
          {t('intake.done.open')}
        </LocalLink>
        <LocalLink to="/staff/cases/new">{t('intake.done.another')}</LocalLink>
      </div>
    </section>
  )
}

function IntakeForm({ lastResult }: { lastResult: SubmissionResult<string[]> | undefined }) {
  const { t } = useTranslation()
  const staffMessage = useStaffMessage()
  const message = (m: string) => (m.startsWith('intake.') ? t(m) : staffMessage(m))
  const errors = (list: string[] | undefined) => list?.map(message)
  const { idempotencyKey, language } = useLoaderData<typeof loader>()
  const navigation = useNavigation()
  const [fileError, setFileError] = useState<string | null>(null)
  const [form, fields] = useForm({
    id: 'intake-form',
    lastResult,
    constraint: getZodConstraint(IntakeFormSchema),
    defaultValue: { language },
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
    onValidate: ({ formData }) => parseWithZod(formData, { schema: IntakeFormSchema }),
  })

  async function readFile(e: ChangeEvent<HTMLInputElement>) {
    const file = e.currentTarget.files?.[0]
    setFileError(null)
    if (!file) return
    if (file.size > MAX_HASHES_TEXT) return setFileError('intake.fileTooBig')
    let text: string
    try {
      text = await file.text()
    } catch {
      return setFileError('intake.fileUnreadable')
    }
    form.update({ name: fields.hashes.name, value: withoutFileNames(text) })
  }

  const radios = (name: 'requester' | 'language', values: readonly string[], label: (v: string) => string, legend: string, hint?: string) => {
    const field = fields[name]
    const errorId = field.errors?.length ? `${field.id}-error` : undefined
    return (
      <fieldset className="field" aria-describedby={[hint ? `${field.id}-hint` : null, errorId].filter(Boolean).join(' ') || undefined}>
        <legend>{legend}</legend>
        {hint ? (
          <p className="hint" id={`${field.id}-hint`}>
            {hint}
          </p>
        ) : null}
        {values.map((value) => (
          <label key={value} className="choice">
            <input {...getInputProps(field, { type: 'radio', value })} key={value} />
            {label(value)}
          </label>
        ))}
        <ErrorList id={errorId} errors={errors(field.errors)} />
      </fieldset>
    )
  }

  const checkbox = (name: 'shareHashes' | 'noticesConsent', label: string) => {
    const field = fields[name]
    const errorId = field.errors?.length ? `${field.id}-error` : undefined
    return (
      <div className="field">
        <label className="choice">
          <input {...getInputProps(field, { type: 'checkbox' })} aria-invalid={errorId ? true : undefined} aria-describedby={errorId} />
          {label}
        </label>
        <ErrorList id={errorId} errors={errors(field.errors)} />
      </div>
    )
  }

  return (
    <Form method="post" {...getFormProps(form)}>
      <input type="hidden" name="idempotencyKey" value={idempotencyKey} />
      <ErrorList id={form.errorId} errors={errors(form.errors)} />

      <section aria-labelledby="hashes-title">
        <h2 id="hashes-title">{t('intake.hashesTitle')}</h2>
        <div className="field">
          <label htmlFor="hashes-file">{t('intake.hashesFile')}</label>
          <span id="hashes-file-hint" className="hint">
            {t('intake.hashesFileHint')}
          </span>
          {/* No name: the file itself is never sent, only the text read from it below. */}
          <input
            id="hashes-file"
            type="file"
            accept=".jsonl,.json,.txt,application/json,text/plain"
            onChange={(e) => void readFile(e)}
            aria-invalid={fileError ? true : undefined}
            aria-describedby={`hashes-file-hint${fileError ? ' hashes-file-error' : ''}`}
          />
          <ErrorList id="hashes-file-error" errors={fileError ? [t(fileError)] : undefined} />
        </div>
        <TextareaField
          label={t('intake.hashes')}
          hint={t('intake.hashesHint')}
          textareaProps={{ ...getTextareaProps(fields.hashes), rows: 6, autoCapitalize: 'off', spellCheck: false, wrap: 'off' }}
          errors={errors(fields.hashes.errors)}
        />
      </section>

      <section aria-labelledby="urls-title">
        <h2 id="urls-title">{t('intake.urlsTitle')}</h2>
        <TextareaField
          label={t('intake.urls')}
          textareaProps={{ ...getTextareaProps(fields.urls), rows: 4, inputMode: 'url', autoCapitalize: 'off', spellCheck: false }}
          errors={errors(fields.urls.errors)}
        />
      </section>

      {radios('requester', REQUESTERS, (v) => t(`queue.requester.${v}`), t('intake.whoTitle'))}
      {radios('language', LANGUAGES, (v) => t(`intake.languages.${v}`), t('intake.languageTitle'), t('intake.languageHint'))}

      <section aria-labelledby="consent-title">
        <h2 id="consent-title">{t('intake.consentTitle')}</h2>
        <p>{t('intake.consentHelp')}</p>
        {checkbox('shareHashes', t('intake.shareHashes'))}
        {checkbox('noticesConsent', t('intake.noticesConsent'))}
      </section>

      <button className="button" type="submit" disabled={navigation.state === 'submitting'}>
        {t('intake.submit')}
      </button>
    </Form>
  )
}
