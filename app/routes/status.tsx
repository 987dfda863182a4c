import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useFetcher, useLoaderData, useNavigation } from '@remix-run/react'
import { useEffect, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { LocalLink } from '~/components/chrome'
import { FilePicker } from '~/components/file-picker'
import { ErrorList } from '~/components/forms'
import { useFileHashing, type HashRow } from '~/components/use-file-hashing'
import { useMessage } from '~/components/use-message'
import type { HashResult } from '~/hashing/browser/hash-client'
import { i18next } from '~/i18next.server'
import { formatDateTime } from '~/lib/date-format'
import { getDb } from '~/lib/db.server'
import { NotFoundError, ValidationError } from '~/lib/errors.server'
import { fieldErrors } from '~/lib/field-errors'
import {
  clearSurvivorSessionCookie,
  destroySurvivorSession,
  findSurvivorSession,
  readSurvivorToken,
  survivorSessionCookie,
} from '~/lib/survivor-session.server'
import { AddHashesSchema, AddUrlsSchema, SetContactSchema, SignInSchema, WithdrawHashesSchema, type HashItem } from '~/models/case.schema'
import {
  addHashes,
  addUrls,
  deleteCase,
  getCaseStatus,
  setContact,
  signIn,
  withdrawHashes,
  type CaseStatus,
  type HashView,
} from '~/models/case.server'
import { readFormData } from '~/lib/form-data.server'

type Result = { ok: true; done: string } | { ok: false; form: string; errors: Record<string, string[]> }

const INVALID = 'We could not open a case with that case number and secret. Check both and try again.'
const THROTTLED = 'Too many tries from here. Wait 15 minutes, then try again.'

export async function loader({ request }: LoaderFunctionArgs) {
  const t = await i18next.getFixedT(request)
  const title = t('status.metaTitle')
  const token = readSurvivorToken(request.headers.get('Cookie'))
  const session = token ? await findSurvivorSession(getDb(), token) : null
  if (!session) {
    // An expired cookie is removed so the browser stops sending it.
    const headers = token ? { 'Set-Cookie': clearSurvivorSessionCookie() } : undefined
    return data({ title, status: null as CaseStatus | null, expired: !!token }, { headers })
  }
  const status = await getCaseStatus(getDb(), session.caseId).catch((error) => {
    if (error instanceof NotFoundError) return null
    throw error
  })
  return { title, status, expired: false }
}

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data?.title ?? 'Takeback' }]

function fail(form: string, errors: Record<string, string[]>, status = 400) {
  return data<Result>({ ok: false, form, errors }, { status })
}

export async function action({ request, context }: ActionFunctionArgs) {
  const db = getDb()
  const json = request.headers.get('Content-Type')?.includes('application/json')
  const form = json ? null : await readFormData(request)
  const body: Record<string, unknown> = form
    ? Object.fromEntries(form.entries())
    : ((await request.json().catch(() => ({}))) as Record<string, unknown>)
  const intent = String(body.intent ?? '')

  if (intent === 'sign-in') {
    const parsed = SignInSchema.safeParse(body)
    if (!parsed.success) return fail('sign-in', fieldErrors(parsed.error))
    const result = await signIn(db, parsed.data, context.clientAddress)
    if (!result.ok) {
      return result.reason === 'throttled'
        ? data<Result>(
            { ok: false, form: 'sign-in', errors: { form: [THROTTLED] } },
            { status: 429, headers: { 'Retry-After': String(Math.ceil(result.retryAfterMs / 1000)) } },
          )
        : fail('sign-in', { form: [INVALID] }, 400)
    }
    return redirect(new URL(request.url).pathname + new URL(request.url).search, {
      status: 303,
      headers: { 'Set-Cookie': survivorSessionCookie(result.token) },
    })
  }

  const token = readSurvivorToken(request.headers.get('Cookie'))
  const session = token ? await findSurvivorSession(db, token) : null
  if (!token || !session) return fail(intent, { form: ['Your session has ended. Enter your case number and secret again.'] }, 401)

  try {
    switch (intent) {
      case 'sign-out':
        await destroySurvivorSession(db, token)
        return redirect('/status', { status: 303, headers: { 'Set-Cookie': clearSurvivorSessionCookie() } })
      case 'add-urls': {
        const parsed = AddUrlsSchema.safeParse(body)
        if (!parsed.success) return fail(intent, fieldErrors(parsed.error))
        await addUrls(db, session.caseId, parsed.data)
        return data<Result>({ ok: true, done: 'urlsAdded' })
      }
      case 'set-contact': {
        const parsed = SetContactSchema.safeParse(body.remove ? {} : body)
        if (!parsed.success) return fail(intent, fieldErrors(parsed.error))
        const { hasContact } = await setContact(db, session.caseId, parsed.data)
        return data<Result>({ ok: true, done: hasContact ? 'contactSet' : 'contactRemoved' })
      }
      case 'withdraw': {
        // A form sends one field per ticked file, holding that file's hash ids.
        const ids = form ? form.getAll('hashIds').flatMap((v) => String(v).split(',').filter(Boolean)) : body.hashIds
        const parsed = WithdrawHashesSchema.safeParse({ hashIds: ids })
        if (!parsed.success) return fail(intent, fieldErrors(parsed.error))
        await withdrawHashes(db, session.caseId, parsed.data)
        return data<Result>({ ok: true, done: 'withdrawn' })
      }
      case 'add-files': {
        // A consent value other than a checkbox's is refused, not quietly read as "no".
        const consent = AddHashesSchema.pick({ shareHashes: true }).safeParse(body)
        if (!consent.success) return fail(intent, fieldErrors(consent.error))
        await addHashes(db, session.caseId, { files: body.files as HashItem[], shareHashes: consent.data.shareHashes })
        return data<Result>({ ok: true, done: 'filesAdded' })
      }
      case 'delete': {
        if (body.confirm !== 'on') return fail(intent, { confirm: ['Tick the box to confirm that you want to delete your case.'] })
        await deleteCase(db, session.caseId)
        return redirect('/status?deleted=1', { status: 303, headers: { 'Set-Cookie': clearSurvivorSessionCookie() } })
      }
      default:
        return fail('form', { form: ['That did not work. Reload the page and try again.'] })
    }
  } catch (error) {
    if (error instanceof ValidationError) return fail(intent, { [error.field.split('.')[0] ?? 'form']: [error.message] })
    // Another case's object named in an edited form: not found, like one that does not exist.
    if (error instanceof NotFoundError) return fail(intent, { form: [error.message] }, 404)
    throw error
  }
}

export default function StatusPage() {
  const { status, expired } = useLoaderData<typeof loader>()
  return status ? <CaseView status={status} /> : <SignIn expired={expired} />
}

function SignIn({ expired }: { expired: boolean }) {
  const { t } = useTranslation()
  const message = useMessage()
  const result = useActionData<typeof action>()
  const navigation = useNavigation()
  const errors = result && !result.ok ? result.errors : {}
  const deleted = typeof window !== 'undefined' && new URLSearchParams(window.location.search).has('deleted')
  const errorFor = (f: string) => errors[f]?.map(message)
  return (
    <main className="page narrow">
      <h1>{t('status.signInTitle')}</h1>
      {deleted ? <p className="notice-box">{t('status.deleted')}</p> : null}
      {expired ? <p className="notice-box">{t('status.expired')}</p> : null}
      <p>{t('status.signInLead')}</p>
      <Form method="post" noValidate>
        <input type="hidden" name="intent" value="sign-in" />
        <div className="field">
          <label htmlFor="caseNumber">{t('created.caseNumber')}</label>
          <span className="hint" id="caseNumber-hint">
            {t('status.caseNumberHint')}
          </span>
          <input
            id="caseNumber"
            name="caseNumber"
            autoComplete="off"
            autoCapitalize="characters"
            spellCheck={false}
            aria-invalid={errorFor('caseNumber') ? true : undefined}
            aria-describedby={`caseNumber-hint${errorFor('caseNumber') ? ' caseNumber-error' : ''}`}
          />
          <ErrorList id="caseNumber-error" errors={errorFor('caseNumber')} />
        </div>
        <div className="field">
          <label htmlFor="secret">{t('created.secret')}</label>
          <input
            id="secret"
            name="secret"
            type="password"
            autoComplete="off"
            autoCapitalize="characters"
            spellCheck={false}
            aria-invalid={errorFor('secret') ? true : undefined}
            aria-describedby={errorFor('secret') ? 'secret-error' : undefined}
          />
          <ErrorList id="secret-error" errors={errorFor('secret')} />
        </div>
        <ErrorList id="signin-error" errors={errorFor('form')} />
        <button className="button" type="submit" disabled={navigation.state === 'submitting'}>
          {t('status.signIn')}
        </button>
      </Form>
      <p>
        <LocalLink to="/recover">{t('status.lostSecret')}</LocalLink>
      </p>
      <p>
        {t('status.noCase')} <LocalLink to="/request">{t('status.startRequest')}</LocalLink>
      </p>
    </main>
  )
}

function CaseView({ status }: { status: CaseStatus }) {
  const { t, i18n } = useTranslation()
  const message = useMessage()
  const result = useActionData<typeof action>()
  const errors = result && !result.ok ? result.errors : {}
  const errorFor = (f: string) => errors[f]?.map(message)
  const items = groupByItem(status.hashes)
  const when = (ms: number) => formatDateTime(i18n.language, ms)
  // After each change that worked, the forms start empty again.
  const [resetKey, setResetKey] = useState(0)
  useEffect(() => {
    if (result?.ok) setResetKey((k) => k + 1)
  }, [result])
  return (
    <main className="page">
      <div className="status-head">
        <h1>
          {t('status.title')} <code>{status.caseNumber}</code>
        </h1>
        <Form method="post">
          <input type="hidden" name="intent" value="sign-out" />
          <button type="submit" className="button secondary">
            {t('status.signOut')}
          </button>
        </Form>
      </div>
      <p className="hint">{t('status.opened', { date: when(status.createdAt) })}</p>
      {result?.ok ? (
        <p className="notice-box" role="status">
          {t(`status.done.${result.done}`)}
        </p>
      ) : null}

      <section aria-labelledby="next-title" className="help-box">
        <h2 id="next-title">{t('status.nextTitle')}</h2>
        <ul className="points">
          {status.nextSteps.map((step) => (
            <li key={step}>{t(`status.next.${step}`)}</li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="files-title">
        <h2 id="files-title">{t('status.filesTitle')}</h2>
        <p>{status.shareHashes ? t('status.shared', { count: status.participatingProviders }) : t('status.notShared')}</p>
        {items.length === 0 ? (
          <p>{t('status.noFiles')}</p>
        ) : (
          <Form method="post" className="withdraw-form">
            <input type="hidden" name="intent" value="withdraw" />
            <ol className="file-list">
              {items.map(({ item, hashes }) => {
                const active = hashes.filter((h) => h.status === 'active')
                const feedback = [...new Map(hashes.flatMap((h) => h.feedback).map((f) => [`${f.provider}:${f.value}`, f])).values()]
                const label = t(hashes[0]!.media === 'video' ? 'status.video' : 'status.photo', { n: item })
                return (
                  <li key={item} className="file-row" data-item={item} data-status={active.length ? 'active' : hashes[0]!.status}>
                    <label className="choice file-choice">
                      <input
                        type="checkbox"
                        name="hashIds"
                        // Remounted when the file changes, so a spent tick does not linger.
                        key={`${item}-${active.length}`}
                        value={active.map((h) => h.id).join(',')}
                        disabled={active.length === 0}
                        aria-describedby={`item-${item}-detail`}
                      />
                      <span className="file-name">{label}</span>
                      <span className="file-size">{when(hashes[0]!.createdAt)}</span>
                    </label>
                    <div id={`item-${item}-detail`} className="file-detail">
                      <p>
                        {active.length === 0
                          ? t(`status.hashStatus.${hashes[0]!.status}`)
                          : status.shareHashes
                            ? t('status.fetchedBy', { count: Math.min(...active.map((h) => h.fetchedBy)) })
                            : t('status.hashStatus.active')}
                      </p>
                      <ul className="hash-list">
                        {hashes.map((h) => (
                          <li key={h.id} data-kind={h.kind} data-status={h.status}>
                            <strong>{h.kind === 'vpdq' ? t('status.frames', { count: h.frames }) : KIND_LABEL[h.kind]}</strong> <code>{h.prefix}…</code>
                          </li>
                        ))}
                      </ul>
                      {feedback.length > 0 ? (
                        <ul className="feedback">
                          {feedback.map((f) => (
                            <li key={`${f.provider}:${f.value}`}>{t(`status.feedback.${f.value}`, { provider: f.provider })}</li>
                          ))}
                        </ul>
                      ) : null}
                    </div>
                  </li>
                )
              })}
            </ol>
            <ErrorList id="withdraw-error" errors={errorFor('hashIds')} />
            <p className="hint">{t('status.withdrawHelp')}</p>
            <button type="submit" className="button secondary">
              {t('status.withdraw')}
            </button>
          </Form>
        )}
        <AddFiles needsConsent={!status.shareHashes} />
      </section>

      <section aria-labelledby="urls-title">
        <h2 id="urls-title">{t('status.urlsTitle')}</h2>
        {status.locations.length === 0 ? <p>{t('status.noUrls')}</p> : null}
        <ul className="url-list">
          {status.locations.map((l) => (
            <li key={l.id}>
              <span className="url">{l.url}</span> · {t(`status.locationState.${l.state}`)}
            </li>
          ))}
        </ul>
        <Form method="post" noValidate key={`urls-${resetKey}`}>
          <input type="hidden" name="intent" value="add-urls" />
          <div className="field">
            <label htmlFor="urls">{t('status.addUrls')}</label>
            <span className="hint" id="urls-hint">
              {t('request.urlsHint')}
            </span>
            <textarea id="urls" name="urls" rows={3} inputMode="url" autoCapitalize="off" spellCheck={false} aria-describedby="urls-hint" aria-invalid={errorFor('urls') ? true : undefined} />
            <ErrorList id="urls-error" errors={errorFor('urls')} />
          </div>
          {status.noticesConsent ? null : (
            <div className="field">
              <label className="choice">
                <input type="checkbox" name="noticesConsent" />
                {t('request.noticesConsent')}
              </label>
              <ErrorList id="notices-error" errors={errorFor('noticesConsent')} />
            </div>
          )}
          <button type="submit" className="button secondary">
            {t('status.addUrlsButton')}
          </button>
        </Form>
      </section>

      <section aria-labelledby="notices-title">
        <h2 id="notices-title">{t('status.noticesTitle')}</h2>
        {status.notices.length === 0 ? (
          <p>{t('status.noNotices')}</p>
        ) : (
          <ul className="notice-list">
            {status.notices.map((n, i) => (
              <li key={i} className="file-row">
                <div className="file-head">
                  <span>{n.provider}</span>
                  <span>{t(`status.noticeState.${n.state}`)}</span>
                </div>
                <ul>
                  {n.urls.map((u) => (
                    <li key={u} className="url">
                      {u}
                    </li>
                  ))}
                </ul>
                {n.sentAt ? <p className="hint">{t('status.sentAt', { date: when(n.sentAt) })}</p> : null}
                {n.deadlineAt ? <p className="hint">{t('status.deadline', { date: when(n.deadlineAt) })}</p> : null}
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="contact-title">
        <h2 id="contact-title">{t('status.contactTitle')}</h2>
        <p>{status.hasContact ? t('status.hasContact') : t('status.noContact')}</p>
        <Form method="post" noValidate key={`contact-${resetKey}`}>
          <input type="hidden" name="intent" value="set-contact" />
          <div className="field">
            <label htmlFor="email">{status.hasContact ? t('status.changeEmail') : t('request.contactLabel')}</label>
            <input id="email" name="email" type="email" autoComplete="email" aria-invalid={errorFor('email') ? true : undefined} aria-describedby={errorFor('email') ? 'email-error' : undefined} />
            <ErrorList id="email-error" errors={errorFor('email')} />
          </div>
          <div className="actions">
            <button type="submit" className="button secondary">
              {t('status.saveEmail')}
            </button>
            {status.hasContact ? (
              <button type="submit" name="remove" value="1" className="button secondary">
                {t('status.removeEmail')}
              </button>
            ) : null}
          </div>
        </Form>
      </section>

      <section aria-labelledby="delete-title" className="danger-zone">
        <h2 id="delete-title">{t('status.deleteTitle')}</h2>
        <p>{t('status.deleteHelp')}</p>
        <Form method="post">
          <input type="hidden" name="intent" value="delete" />
          <label className="choice">
            <input type="checkbox" name="confirm" />
            {t('status.deleteConfirm')}
          </label>
          <ErrorList id="confirm-error" errors={errorFor('confirm')} />
          <button type="submit" className="button danger">
            {t('status.deleteButton')}
          </button>
        </Form>
      </section>
    </main>
  )
}

const KIND_LABEL: Record<string, string> = { pdq: 'PDQ', md5: 'MD5', sha256: 'SHA-256' }

function groupByItem(hashes: HashView[]) {
  const items = new Map<number, HashView[]>()
  for (const h of hashes) items.set(h.item, [...(items.get(h.item) ?? []), h])
  return [...items.entries()].sort(([a], [b]) => a - b).map(([item, list]) => ({ item, hashes: list }))
}

function AddFiles({ needsConsent }: { needsConsent: boolean }) {
  const { t } = useTranslation()
  const message = useMessage()
  const hashing = useFileHashing()
  const fetcher = useFetcher<typeof action>()
  const done = hashing.rows.filter((r): r is HashRow & { result: HashResult } => !!r.result)
  const errors = fetcher.data && !fetcher.data.ok ? Object.values(fetcher.data.errors).flat().map(message) : undefined
  const send = (shareHashes: boolean) => {
    const files: HashItem[] = done.map(({ result: r }) =>
      r.media === 'image'
        ? { media: 'image', pdq: r.pdq, quality: r.quality, md5: r.md5, sha256: r.sha256 }
        : { media: 'video', md5: r.md5, sha256: r.sha256, vpdq: r.vpdq },
    )
    fetcher.submit({ intent: 'add-files', files, shareHashes } as never, { method: 'post', encType: 'application/json' })
  }
  const { clear } = hashing
  const sent = fetcher.data?.ok === true && fetcher.state === 'idle'
  useEffect(() => {
    if (sent) clear()
  }, [sent, clear])
  return (
    <details className="add-files">
      <summary>{t('status.addFiles')}</summary>
      <FilePicker hashing={hashing} inputId="more-files" onRemove={(r) => hashing.remove(r.key)} />
      <ErrorList id="add-files-error" errors={errors} />
      {done.length > 0 && !hashing.busy ? (
        <form
          onSubmit={(e) => {
            e.preventDefault()
            send(needsConsent ? (e.currentTarget.elements.namedItem('share') as HTMLInputElement).checked : true)
          }}
        >
          {needsConsent ? (
            <label className="choice">
              <input type="checkbox" name="share" />
              {t('request.shareHashes')}
            </label>
          ) : null}
          <button type="submit" className="button" disabled={fetcher.state !== 'idle'}>
            {t('status.sendFiles', { count: done.length })}
          </button>
        </form>
      ) : null}
    </details>
  )
}
