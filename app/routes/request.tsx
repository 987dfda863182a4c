import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { useFetcher, useLoaderData } from '@remix-run/react'
import { useEffect, useMemo, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { LocalLink } from '~/components/chrome'
import { FilePicker } from '~/components/file-picker'
import { useFileHashing, type HashRow } from '~/components/use-file-hashing'
import { useMessage } from '~/components/use-message'
import { ErrorList } from '~/components/forms'
import type { HashResult } from '~/hashing/browser/hash-client'
import { i18next } from '~/i18next.server'
import { getDb } from '~/lib/db.server'
import { ValidationError } from '~/lib/errors.server'
import { fieldErrors } from '~/lib/field-errors'
import { randomToken } from '~/lib/tokens.server'
import { NewRequestSchema, REQUESTERS, type HashItem, type NewRequestInput } from '~/models/case.schema'
import { hitRateLimit } from '~/lib/rate-limit.server'
import enAbuse from '~/locales/en/abuse'
import { createCase, REQUEST_LIMIT_PER_SOURCE } from '~/models/case.server'

export async function loader({ request }: LoaderFunctionArgs) {
  const t = await i18next.getFixedT(request)
  // One key per visit: a retried submit (a lost answer, a double tap) reuses
  // it, so it can never open two cases.
  return { title: t('request.metaTitle'), idempotencyKey: randomToken(24) }
}

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data?.title ?? 'Takeback' }]

type ActionResult =
  | { ok: true; caseNumber: string; secret: string; hasContact: boolean }
  | { ok: false; errors: Record<string, string[]> }

export async function action({ request, context }: ActionFunctionArgs) {
  const body: unknown = await request.json().catch(() => null)
  const parsed = NewRequestSchema.safeParse(body)
  if (!parsed.success) return data<ActionResult>({ ok: false, errors: fieldErrors(parsed.error) }, { status: 400 })
  // Counted before argon2 and the database work, so a flood costs little and is cut off early.
  const limit = await hitRateLimit(getDb(), `request:source:${context.clientAddress}`, REQUEST_LIMIT_PER_SOURCE)
  if (!limit.allowed) {
    return data<ActionResult>(
      { ok: false, errors: { form: [enAbuse.requestThrottled] } },
      { status: 429, headers: { 'Retry-After': String(Math.ceil(limit.retryAfterMs / 1000)) } },
    )
  }
  try {
    const created = await createCase(getDb(), body as NewRequestInput)
    return data<ActionResult>({ ok: true, caseNumber: created.caseNumber, secret: created.secret, hasContact: !!parsed.data.contactEmail })
  } catch (error) {
    if (error instanceof ValidationError) {
      return data<ActionResult>({ ok: false, errors: { [error.field.split('.')[0] ?? 'form']: [error.message] } }, { status: 400 })
    }
    throw error
  }
}

/** Only the hashes of a file: never its name, size, pixels or details. */
function toItem(result: HashResult): HashItem {
  return result.media === 'image'
    ? { media: 'image', pdq: result.pdq, quality: result.quality, md5: result.md5, sha256: result.sha256 }
    : { media: 'video', md5: result.md5, sha256: result.sha256, vpdq: result.vpdq }
}

export default function RequestPage() {
  const { t, i18n } = useTranslation()
  const message = useMessage()
  const { idempotencyKey } = useLoaderData<typeof loader>()
  const fetcher = useFetcher<ActionResult>()
  const hashing = useFileHashing()
  const [requester, setRequester] = useState<string>('')
  const [urls, setUrls] = useState('')
  const [contactEmail, setContactEmail] = useState('')
  const [shareHashes, setShareHashes] = useState(false)
  const [noticesConsent, setNoticesConsent] = useState(false)
  const [signature, setSignature] = useState('')
  const [clientErrors, setClientErrors] = useState<Record<string, string[]> | null>(null)

  const done = hashing.rows.filter((r): r is HashRow & { result: HashResult } => !!r.result)
  const result = fetcher.data
  const errors = clientErrors ?? (result && !result.ok ? result.errors : {})
  const submitting = fetcher.state !== 'idle'
  const hasUrls = urls.trim().length > 0

  const submit = () => {
    const payload: NewRequestInput = {
      idempotencyKey,
      requester: requester as NewRequestInput['requester'],
      language: i18n.language === 'es' ? 'es' : 'en',
      files: done.map((r) => toItem(r.result)),
      urls,
      shareHashes,
      noticesConsent,
      contactEmail,
      signature,
    }
    const parsed = NewRequestSchema.safeParse(payload)
    if (!parsed.success) {
      setClientErrors(fieldErrors(parsed.error))
      return
    }
    setClientErrors(null)
    fetcher.submit(JSON.parse(JSON.stringify(payload)), { method: 'post', encType: 'application/json' })
  }

  if (result?.ok) return <CaseCreated caseNumber={result.caseNumber} secret={result.secret} hasContact={result.hasContact} />

  const errorFor = (field: string) => errors[field]?.map(message)
  return (
    <main className="page narrow">
      <h1>{t('request.title')}</h1>
      <p className="lead">{t('request.lead')}</p>
      <noscript>
        <p className="notice-box">{t('hash.noScript')}</p>
      </noscript>

      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault()
          submit()
        }}
      >
        <fieldset className="field" aria-describedby={errorFor('requester') ? 'requester-error' : undefined}>
          <legend>
            <h2>{t('request.whoTitle')}</h2>
          </legend>
          {REQUESTERS.map((value) => (
            <label key={value} className="choice">
              <input type="radio" name="requester" value={value} checked={requester === value} onChange={() => setRequester(value)} />
              {t(`request.who.${value}`)}
            </label>
          ))}
          <p className="hint">{t('request.whoNote')}</p>
          <ErrorList id="requester-error" errors={errorFor('requester')} />
        </fieldset>

        <section aria-labelledby="files-title">
          <h2 id="files-title">{t('request.filesTitle')}</h2>
          <p>{t('request.filesHelp')}</p>
          <FilePicker hashing={hashing} onRemove={(r) => hashing.remove(r.key)} renderRow={(r) => <Thumbnail row={r} />} />
          <ErrorList id="files-error" errors={errorFor('files')} />
        </section>

        <section aria-labelledby="urls-title">
          <h2 id="urls-title">
            {t('request.urlsTitle')} <span className="optional">{t('request.optional')}</span>
          </h2>
          <div className="field">
            <label htmlFor="urls">{t('request.urlsLabel')}</label>
            <span id="urls-hint" className="hint">
              {t('request.urlsHint')}
            </span>
            <textarea
              id="urls"
              name="urls"
              rows={4}
              value={urls}
              onChange={(e) => setUrls(e.target.value)}
              aria-invalid={errorFor('urls') ? true : undefined}
              aria-describedby={`urls-hint${errorFor('urls') ? ' urls-error' : ''}`}
              inputMode="url"
              autoCapitalize="off"
              spellCheck={false}
            />
            <ErrorList id="urls-error" errors={errorFor('urls')} />
          </div>
        </section>

        <section aria-labelledby="contact-title">
          <h2 id="contact-title">
            {t('request.contactTitle')} <span className="optional">{t('request.optional')}</span>
          </h2>
          <div className="field">
            <label htmlFor="contactEmail">{t('request.contactLabel')}</label>
            <span id="contact-hint" className="hint">
              {t('request.contactHint')}
            </span>
            <input
              id="contactEmail"
              name="contactEmail"
              type="email"
              autoComplete="email"
              value={contactEmail}
              onChange={(e) => setContactEmail(e.target.value)}
              aria-invalid={errorFor('contactEmail') ? true : undefined}
              aria-describedby={`contact-hint${errorFor('contactEmail') ? ' contact-error' : ''}`}
            />
            <ErrorList id="contact-error" errors={errorFor('contactEmail')} />
          </div>
        </section>

        <section aria-labelledby="consent-title">
          <h2 id="consent-title">{t('request.consentTitle')}</h2>
          <div className="field">
            <label className="choice">
              <input type="checkbox" name="shareHashes" checked={shareHashes} onChange={(e) => setShareHashes(e.target.checked)} aria-describedby="share-error" />
              {t('request.shareHashes')}
            </label>
            <ErrorList id="share-error" errors={errorFor('shareHashes')} />
          </div>
          {hasUrls ? (
            <>
              <div className="field">
                <label className="choice">
                  <input type="checkbox" name="noticesConsent" checked={noticesConsent} onChange={(e) => setNoticesConsent(e.target.checked)} aria-describedby="notices-error" />
                  {t('request.noticesConsent')}
                </label>
                <ErrorList id="notices-error" errors={errorFor('noticesConsent')} />
              </div>
              <div className="field">
                <label htmlFor="signature">
                  {t('request.signatureLabel')} <span className="optional">{t('request.optional')}</span>
                </label>
                <span id="signature-hint" className="hint">
                  {t('request.signatureHint')}
                </span>
                <input
                  id="signature"
                  name="signature"
                  autoComplete="name"
                  value={signature}
                  onChange={(e) => setSignature(e.target.value)}
                  aria-describedby="signature-hint"
                />
                <ErrorList id="signature-error" errors={errorFor('signature')} />
              </div>
            </>
          ) : null}
        </section>

        <ErrorList id="form-error" errors={[...(errorFor('form') ?? []), ...(errorFor('idempotencyKey') ?? [])]} />
        <p className="hint">{t('request.whatIsSent')}</p>
        <button className="button" type="submit" disabled={submitting || hashing.busy}>
          {submitting ? t('request.sending') : hashing.busy ? t('request.waitHashing') : t('request.submit')}
        </button>
      </form>
    </main>
  )
}

/** A local preview, blurred until the person chooses to see it. Drawn from the file on this device. */
function Thumbnail({ row }: { row: HashRow }) {
  const { t } = useTranslation()
  const [shown, setShown] = useState(false)
  const url = useMemo(() => URL.createObjectURL(row.file), [row.file])
  useEffect(() => () => URL.revokeObjectURL(url), [url])
  if (row.state === 'error') return null
  const isVideo = row.result?.media === 'video' || row.file.type.startsWith('video/')
  return (
    <div className="thumb">
      <span className="thumb-frame">
        {isVideo ? (
          <video src={url} muted playsInline preload="metadata" className={shown ? '' : 'blurred'} aria-label={t('request.preview')} />
        ) : (
          <img src={url} alt={t('request.preview')} className={shown ? '' : 'blurred'} />
        )}
      </span>
      <button type="button" className="link-button" onClick={() => setShown((s) => !s)} aria-pressed={shown}>
        {shown ? t('request.hidePreview') : t('request.showPreview')}
      </button>
    </div>
  )
}

function CaseCreated({ caseNumber, secret, hasContact }: { caseNumber: string; secret: string; hasContact: boolean }) {
  const { t } = useTranslation()
  const [copied, setCopied] = useState(false)
  const text = `${t('created.fileHeading')}\n\n${t('created.caseNumber')}: ${caseNumber}\n${t('created.secret')}: ${secret}\n\n${t('created.fileFooter')}\n`
  const copy = async () => {
    await navigator.clipboard.writeText(`${caseNumber} ${secret}`)
    setCopied(true)
  }
  const download = () => {
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }))
    const a = document.createElement('a')
    a.href = url
    a.download = 'takeback-case.txt'
    a.click()
    setTimeout(() => URL.revokeObjectURL(url), 1000)
  }
  return (
    <main className="page narrow" aria-labelledby="created-title">
      <h1 id="created-title">{t('created.title')}</h1>
      <p className="lead">{t('created.lead')}</p>
      <dl className="codes">
        <dt>{t('created.caseNumber')}</dt>
        <dd>
          <code data-testid="case-number">{caseNumber}</code>
        </dd>
        <dt>{t('created.secret')}</dt>
        <dd>
          <code data-testid="case-secret">{secret}</code>
        </dd>
      </dl>
      <p className="notice-box">
        <strong>{t('created.writeDown')}</strong> {t('created.neverAgain')}
      </p>
      <div className="actions no-print">
        <button type="button" className="button secondary" onClick={() => void copy()}>
          {copied ? t('created.copied') : t('created.copy')}
        </button>
        <button type="button" className="button secondary" onClick={download}>
          {t('created.download')}
        </button>
        <button type="button" className="button secondary" onClick={() => window.print()}>
          {t('created.print')}
        </button>
      </div>
      <h2>{t('created.nextTitle')}</h2>
      <p>{t('created.next')}</p>
      {hasContact ? <p>{t('created.recoveryEmail')}</p> : <p>{t('created.noRecovery')}</p>}
      <p className="no-print">
        <LocalLink className="button" to="/status">
          {t('created.follow')}
        </LocalLink>
      </p>
    </main>
  )
}
