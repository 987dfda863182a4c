/**
 * A provider's page for one notice, opened from the signed link in the notice
 * email. GET only shows (mail scanners open links): the notice, what is
 * asked, the deadline and what is recorded. Answers are POSTs from the forms
 * here. No session and no cookie: the link is the only credential, and it
 * acts only on the notice it was signed for. A spent or expired link still
 * shows the notice, and offers a fresh link by email to the provider's
 * registered notice address.
 *
 * Posts from another site are refused before they get here (app/server.ts
 * answers 403 to a state-changing request whose Origin is another site).
 */
import { data, type ActionFunctionArgs, type HeadersFunction, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { ErrorList } from '~/components/forms'
import { useMessage } from '~/components/use-message'
import { i18next } from '~/i18next.server'
import { getDb } from '~/lib/db.server'
import { ValidationError } from '~/lib/errors.server'
import { fieldErrors } from '~/lib/field-errors'
import { verifyNoticeLink } from '~/lib/notice-link.server'
import { formatUtc } from '../../emails/notice'
import {
  answerNotice,
  findProviderNotice,
  MAX_DECLINE_REASON,
  MAX_SUGGESTED_CONTACT,
  NoticeAnswerConflict,
  noticeAnswerSchema,
  requestFreshNoticeLink,
  type NoticeAnswerKind,
  type ProviderNotice,
} from '~/models/notice-answer.server'
import { readFormData } from '~/lib/form-data.server'

const HOUR = 60 * 60 * 1000

/** Not a page anyone should find: a plain 404, the same for a bad, tampered or unknown token. */
function notFound(): never {
  throw new Response('', { status: 404 })
}

async function load(token: string | undefined, now: number) {
  const check = await verifyNoticeLink(getDb(), token ?? '', now)
  if (!check.ok && check.reason === 'invalid') notFound()
  const notice = await findProviderNotice(getDb(), check.noticeId)
  if (!notice) notFound()
  return { check, notice }
}

function timeLeft(deadlineAt: number | null, now: number): { key: string; days: number; hours: number } | null {
  if (deadlineAt === null) return null
  const ms = deadlineAt - now
  if (ms <= 0) return { key: 'passed', days: 0, hours: 0 }
  const hours = Math.floor(ms / HOUR)
  if (hours === 0) return { key: 'underHour', days: 0, hours: 0 }
  if (hours < 48) return { key: 'hours', days: 0, hours }
  return { key: 'days', days: Math.floor(hours / 24), hours: hours % 24 }
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const now = Date.now()
  const { check, notice } = await load(params.token, now)
  const t = await i18next.getFixedT(request)
  return {
    title: t('providerAnswer.metaTitle'),
    link: check.ok ? ('ok' as const) : check.reason,
    notice: pageNotice(notice),
    sentText: formatUtc(notice.sentAt),
    deadlineText: notice.deadlineAt === null ? null : formatUtc(notice.deadlineAt),
    timeLeft: timeLeft(notice.deadlineAt, now),
    // Passed as data: the component must not import a .server module for a number.
    maxLength: { reason: MAX_DECLINE_REASON, contact: MAX_SUGGESTED_CONTACT },
  }
}

/** Only what the page shows: no case id, nothing of the survivor's. */
function pageNotice(n: ProviderNotice) {
  return {
    id: n.id,
    providerName: n.providerName,
    regime: n.regime,
    state: n.state,
    urls: n.urls,
    canAcknowledge: n.canAcknowledge,
    openLocationIds: n.openLocationIds,
    canDeclineOrDisown: n.canDeclineOrDisown,
  }
}

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data?.title ?? 'Takeback' },
  // Route meta replaces the root's, so say it again: never in search results.
  { name: 'robots', content: 'noindex, nofollow' },
  { name: 'referrer', content: 'no-referrer' },
]

export const headers: HeadersFunction = () => ({ 'X-Robots-Tag': 'noindex, nofollow', 'Referrer-Policy': 'no-referrer' })

type Result =
  | { step: 'answered'; kind: NoticeAnswerKind; changed: boolean; final: boolean }
  | { step: 'error'; kind: string; errors: Record<string, string[]> }
  | { step: 'fresh-link' }

/** The form's fields as the schema reads them; a blank optional field is left out. */
function answerFromForm(form: FormData): unknown {
  const kind = String(form.get('kind') ?? '')
  switch (kind) {
    case 'removed':
    case 'not_found':
      return { kind, locationIds: form.getAll('locationIds').map(String) }
    case 'declined':
      return { kind, reason: String(form.get('reason') ?? '') }
    case 'not_ours': {
      const contact = String(form.get('suggestedContact') ?? '').trim()
      return contact === '' ? { kind } : { kind, suggestedContact: contact }
    }
    default:
      return { kind }
  }
}

const FINAL_STATES = ['removed', 'not_found', 'declined', 'not_ours', 'closed']

export async function action({ request, params, context }: ActionFunctionArgs) {
  const now = Date.now()
  const { check, notice } = await load(params.token, now)
  const form = await readFormData(request)

  if (form.get('intent') === 'fresh-link') {
    // The same answer whatever happened: nothing here says whether a link went out, or to where.
    await requestFreshNoticeLink(getDb(), notice.id, context.clientAddress, now)
    return data<Result>({ step: 'fresh-link' })
  }
  const kind = String(form.get('kind') ?? '')
  if (!check.ok) return data<Result>({ step: 'error', kind, errors: { form: ['providerAnswer.spent.lead'] } }, { status: 410 })

  const parsed = noticeAnswerSchema.safeParse(answerFromForm(form))
  if (!parsed.success) return data<Result>({ step: 'error', kind, errors: fieldErrors(parsed.error) }, { status: 400 })
  try {
    const { state, changed } = await answerNotice(getDb(), notice.id, parsed.data, { providerId: notice.providerId, via: 'link' }, now)
    return data<Result>({ step: 'answered', kind: parsed.data.kind, changed, final: FINAL_STATES.includes(state) })
  } catch (error) {
    if (error instanceof NoticeAnswerConflict) return data<Result>({ step: 'error', kind, errors: { form: ['providerAnswer.conflict'] } }, { status: 409 })
    if (error instanceof ValidationError) return data<Result>({ step: 'error', kind, errors: { [error.field]: [error.message] } }, { status: 400 })
    throw error
  }
}

export default function NoticeAnswerPage() {
  const { t } = useTranslation()
  const message = useMessage()
  const { link, notice, sentText, deadlineText, timeLeft, maxLength } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  const navigation = useNavigation()
  const busy = navigation.state === 'submitting'
  const errorsOf = (kind: string, field: string) =>
    result?.step === 'error' && result.kind === kind ? result.errors[field]?.map((m) => (m.startsWith('providerAnswer.') ? t(m) : message(m))) : undefined

  const answerable = link === 'ok' && (notice.canAcknowledge || notice.openLocationIds.length > 0 || notice.canDeclineOrDisown)
  const stillOpen = notice.canAcknowledge || notice.openLocationIds.length > 0 || notice.canDeclineOrDisown
  const openUrls = notice.urls.filter((u) => notice.openLocationIds.includes(u.locationId))

  return (
    <main className="page narrow" aria-labelledby="notice-title">
      {/* The page's heading first; what just happened follows it, before the notice itself. */}
      <h1 id="notice-title">{t('providerAnswer.title', { provider: notice.providerName })}</h1>
      {result?.step === 'answered' ? (
        <div className="notice-box" role="status">
          <h2>{t('providerAnswer.done.title')}</h2>
          <p>{result.changed ? t(`providerAnswer.done.${result.kind}`) : t('providerAnswer.done.unchanged')}</p>
          <p>{result.final ? t('providerAnswer.done.nextFinal') : t('providerAnswer.done.nextOpen')}</p>
        </div>
      ) : null}
      {link !== 'ok' && result?.step !== 'answered' ? (
        <div className="notice-box">
          <h2>{link === 'used' ? t('providerAnswer.spent.usedTitle') : t('providerAnswer.spent.expiredTitle')}</h2>
          {stillOpen ? (
            result?.step === 'fresh-link' ? (
              <p role="status">{t('providerAnswer.spent.sent')}</p>
            ) : (
              <Form method="post">
                <p>{t('providerAnswer.spent.lead')}</p>
                <input type="hidden" name="intent" value="fresh-link" />
                <button className="button" type="submit" disabled={busy}>
                  {t('providerAnswer.spent.button')}
                </button>
              </Form>
            )
          ) : (
            <p>{t('providerAnswer.finalNote')}</p>
          )}
        </div>
      ) : null}

      {/* Once there is nothing to press, the lead no longer speaks of buttons. */}
      <p className="lead">{t(answerable ? 'providerAnswer.lead' : 'providerAnswer.leadNoButtons')}</p>
      <dl className="codes notice-facts">
        <dt>{t('providerAnswer.fields.reference')}</dt>
        <dd>
          <code>{notice.id}</code>
        </dd>
        <dt>{t('providerAnswer.fields.law')}</dt>
        <dd>{t(`providerAnswer.regime.${notice.regime}`)}</dd>
        <dt>{t('providerAnswer.fields.sent')}</dt>
        <dd>{sentText}</dd>
        {deadlineText ? (
          <>
            <dt>{t('providerAnswer.fields.deadline')}</dt>
            <dd>
              {deadlineText}
              {/* Time left matters only while an answer is still due. */}
              {timeLeft && stillOpen ? ` (${t(`providerAnswer.timeLeft.${timeLeft.key}`, { days: timeLeft.days, hours: timeLeft.hours })})` : null}
            </dd>
          </>
        ) : null}
        <dt>{t('providerAnswer.fields.state')}</dt>
        <dd data-testid="notice-state">{t(`providerAnswer.state.${notice.state}`)}</dd>
      </dl>

      <section aria-labelledby="asked-title">
        <h2 id="asked-title">{t('providerAnswer.asked.title')}</h2>
        <p>{t(`providerAnswer.asked.${notice.regime}`)}</p>
      </section>

      <section aria-labelledby="urls-title">
        <h2 id="urls-title">{t('providerAnswer.urlsTitle')}</h2>
        <ol className="url-list">
          {notice.urls.map((u) => (
            <li key={u.locationId}>
              <span className="url">{u.url}</span> — {t(`providerAnswer.outcome.${u.outcome ?? 'none'}`)}
            </li>
          ))}
        </ol>
      </section>

      {link === 'ok' && !stillOpen && result?.step !== 'answered' ? <p>{t('providerAnswer.finalNote')}</p> : null}

      {answerable ? (
        <section aria-labelledby="answer-title">
          <h2 id="answer-title">{t('providerAnswer.answerTitle')}</h2>
          <ErrorList id="form-error" errors={errorsOf(result?.step === 'error' ? result.kind : '', 'form')} />

          {notice.canAcknowledge ? (
            <Form method="post" className="notice-box">
              <h3>{t('providerAnswer.acknowledge.title')}</h3>
              <p className="hint">{t('providerAnswer.acknowledge.hint')}</p>
              <input type="hidden" name="kind" value="acknowledge" />
              <button className="button" type="submit" disabled={busy}>
                {t('providerAnswer.acknowledge.button')}
              </button>
            </Form>
          ) : null}

          {openUrls.length > 0
            ? (['removed', 'not_found'] as const).map((kind) => {
                const key = kind === 'removed' ? 'removed' : 'notFound'
                const errors = errorsOf(kind, 'locationIds')
                return (
                  <Form method="post" className="notice-box" key={kind}>
                    <fieldset>
                      <legend>
                        <h3>{t(`providerAnswer.${key}.title`)}</h3>
                      </legend>
                      <p className="hint">{t(`providerAnswer.${key}.hint`)}</p>
                      {openUrls.map((u) => (
                        <label className="choice" key={u.locationId}>
                          <input type="checkbox" name="locationIds" value={u.locationId} defaultChecked={kind === 'removed'} aria-describedby={errors ? `${kind}-error` : undefined} />
                          <span className="url">{u.url}</span>
                        </label>
                      ))}
                      <ErrorList id={`${kind}-error`} errors={errors} />
                    </fieldset>
                    <input type="hidden" name="kind" value={kind} />
                    <button className="button" type="submit" disabled={busy}>
                      {t(`providerAnswer.${key}.button`)}
                    </button>
                  </Form>
                )
              })
            : null}

          {notice.canDeclineOrDisown ? (
            <>
              <Form method="post" className="notice-box" noValidate>
                <h3>{t('providerAnswer.declined.title')}</h3>
                <p className="hint">{t('providerAnswer.declined.hint')}</p>
                <div className="field">
                  <label htmlFor="reason">{t('providerAnswer.declined.reason')}</label>
                  <textarea
                    id="reason"
                    name="reason"
                    rows={4}
                    required
                    maxLength={maxLength.reason}
                    aria-invalid={errorsOf('declined', 'reason') ? true : undefined}
                    aria-describedby={errorsOf('declined', 'reason') ? 'reason-error' : undefined}
                  />
                  <ErrorList id="reason-error" errors={errorsOf('declined', 'reason')} />
                </div>
                <input type="hidden" name="kind" value="declined" />
                <button className="button" type="submit" disabled={busy}>
                  {t('providerAnswer.declined.button')}
                </button>
              </Form>

              <Form method="post" className="notice-box" noValidate>
                <h3>{t('providerAnswer.notOurs.title')}</h3>
                <p className="hint">{t('providerAnswer.notOurs.hint')}</p>
                <div className="field">
                  <label htmlFor="suggestedContact">{t('providerAnswer.notOurs.contact')}</label>
                  <span id="suggestedContact-hint" className="hint">
                    {t('providerAnswer.notOurs.contactHint')}
                  </span>
                  <input
                    id="suggestedContact"
                    name="suggestedContact"
                    autoComplete="off"
                    maxLength={maxLength.contact}
                    aria-invalid={errorsOf('not_ours', 'suggestedContact') ? true : undefined}
                    aria-describedby={['suggestedContact-hint', errorsOf('not_ours', 'suggestedContact') ? 'suggestedContact-error' : null].filter(Boolean).join(' ')}
                  />
                  <ErrorList id="suggestedContact-error" errors={errorsOf('not_ours', 'suggestedContact')} />
                </div>
                <input type="hidden" name="kind" value="not_ours" />
                <button className="button" type="submit" disabled={busy}>
                  {t('providerAnswer.notOurs.button')}
                </button>
              </Form>
            </>
          ) : null}
        </section>
      ) : null}
    </main>
  )
}
