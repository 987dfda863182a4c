import { getFormProps, getTextareaProps, useForm, type SubmissionResult } from '@conform-to/react'
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { LocalLink } from '~/components/chrome'
import { ErrorList } from '~/components/forms'
import { StaffBar, staffMeta, useStaffMessage, When } from '~/components/staff'
import { i18next } from '~/i18next.server'
import { getDb } from '~/lib/db.server'
import { getEnv } from '~/lib/env.server'
import { DomainError, NotFoundError, ValidationError } from '~/lib/errors.server'
import { isExampleOrganisation, organisationFromEnv } from '~/lib/organisation.server'
import { requireSameOrigin, requireStaff } from '~/lib/staff-session.server'
import { MAX_NOTE_LENGTH, NoteSchema, NoticeIntentSchema } from '~/models/case-queue.schema'
import { addNote, openCase, requireNoticeOfCase, revealContact } from '~/models/case-queue.server'
import { draftNotices, MAX_EXPLANATION_LENGTH, previewNotice, sendNotice, setExplanation } from '~/models/notice.server'
import { countPendingReviews, requireHashOfCase, setHashDisabled } from '~/models/hash-reputation.server'
import { caseFollowUps, followUpFromForm, MAX_ESCALATION_NOTE, type FollowUpDone } from '~/models/notice-followup.server'
import { readFormData } from '~/lib/form-data.server'

export const meta: MetaFunction<typeof loader> = ({ data }) => staffMeta(data?.title)

/** Example contact details may be tried out anywhere but must never reach a real provider. */
function sendingBlocked(): boolean {
  return getEnv().NODE_ENV === 'production' && isExampleOrganisation(organisationFromEnv())
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const staff = await requireStaff(request)
  const t = await i18next.getFixedT(request)
  let detail
  try {
    detail = await openCase(getDb(), params.caseId ?? '', staff)
  } catch (error) {
    if (error instanceof NotFoundError) throw new Response(null, { status: 404 })
    throw error
  }
  return {
    title: t('queue.meta.case', { caseNumber: detail.caseNumber }),
    staff,
    detail,
    exampleOrganisation: isExampleOrganisation(organisationFromEnv()),
    sendingBlocked: sendingBlocked(),
    // Passed as data: the component must not import a .server module for a number.
    maxExplanation: MAX_EXPLANATION_LENGTH,
    reviewCount: await countPendingReviews(getDb()),
    followUps: await caseFollowUps(getDb(), detail.id, organisationFromEnv()),
    maxEscalationNote: MAX_ESCALATION_NOTE,
  }
}

type Done = 'revealed' | 'noted' | 'drafted' | 'explained' | 'previewed' | 'sent' | 'hashOff' | 'hashOn'
interface ActionResult {
  done: Done | null
  error: string | null
  note?: SubmissionResult<string[]>
  email?: string | null
  preview?: { noticeId: string; to: string[]; subject: string; text: string }
  /** Send again or escalate: what was done, or the field refused and why. */
  followUp?: { noticeId: string; done?: FollowUpDone['done']; field?: string; error?: string }
}
const result = (r: Partial<ActionResult>, status = 200) => data<ActionResult>({ done: null, error: null, ...r }, { status })

export async function action({ request, params }: ActionFunctionArgs) {
  requireSameOrigin(request)
  const staff = await requireStaff(request)
  const db = getDb()
  const caseId = params.caseId ?? ''
  const formData = await readFormData(request)
  const intent = formData.get('intent')
  const actor = { staffId: staff.id }
  try {
    if (intent === 'reveal') {
      const { email } = await revealContact(db, caseId, staff)
      return result({ done: 'revealed', email })
    }
    if (intent === 'note') {
      const submission = parseWithZod(formData, { schema: NoteSchema })
      if (submission.status !== 'success') return result({ note: submission.reply() }, 400)
      await addNote(db, caseId, staff, submission.value.body)
      return result({
        done: 'noted',
        note: submission.reply({ resetForm: true }),
      })
    }
    if (intent === 'draft') {
      const ids = formData.getAll('locationId').filter((v): v is string => typeof v === 'string')
      await draftNotices(db, caseId, ids, actor)
      return result({ done: 'drafted' })
    }
    if (intent === 'hash-off' || intent === 'hash-on') {
      const hashId = String(formData.get('hashId') ?? '')
      await requireHashOfCase(db, caseId, hashId)
      await setHashDisabled(db, hashId, intent === 'hash-off', actor)
      return result({ done: intent === 'hash-off' ? 'hashOff' : 'hashOn' })
    }
    if (intent === 'send-again' || intent === 'escalate') {
      if (intent === 'send-again' && sendingBlocked()) return result({ error: 'queue.case.exampleBlocked' }, 400)
      const noticeId = String(formData.get('noticeId') ?? '')
      try {
        const { done } = await followUpFromForm(db, caseId, formData, actor, organisationFromEnv())
        return result({ followUp: { noticeId, done } })
      } catch (error) {
        // Shown next to the notice's form; anything else goes to the page-wide message below.
        if (error instanceof ValidationError && error.field !== 'form') return result({ followUp: { noticeId, field: error.field, error: error.message } }, 400)
        throw error
      }
    }
    const parsed = NoticeIntentSchema.safeParse(Object.fromEntries(formData))
    if (!parsed.success) return result({ error: 'That did not work. Reload the page and try again.' }, 400)
    const { noticeId } = parsed.data
    await requireNoticeOfCase(db, caseId, noticeId)
    if (parsed.data.intent === 'explanation') {
      await setExplanation(db, noticeId, parsed.data.explanation ?? '', actor)
      return result({ done: 'explained' })
    }
    if (parsed.data.intent === 'preview') {
      const p = await previewNotice(db, noticeId, organisationFromEnv())
      return result({
        done: 'previewed',
        preview: { noticeId, to: p.to, subject: p.subject, text: p.text },
      })
    }
    if (sendingBlocked()) {
      return result({ error: 'queue.case.exampleBlocked' }, 400)
    }
    await sendNotice(db, noticeId, actor, organisationFromEnv())
    return result({ done: 'sent' })
  } catch (error) {
    // Domain errors are sentences a caseworker can act on; anything else is ours and stays a 500.
    if (error instanceof DomainError) return result({ error: error.message }, error.status)
    throw error
  }
}

export default function CasePage() {
  const { t } = useTranslation()
  const staffMessage = useStaffMessage()
  // The one refusal this route words itself is a `queue.` key; the rest are model sentences.
  const message = (m: string) => (m.startsWith('queue.') ? t(m) : staffMessage(m))
  const { staff, detail, exampleOrganisation, sendingBlocked, reviewCount } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const draftable = detail.locations.filter((l) => l.state === 'reported' && !l.inNotice)
  return (
    <main className="page">
      <StaffBar role={staff.role} reviewCount={reviewCount} />
      <p>
        <LocalLink to="/staff/cases">{t('queue.case.back')}</LocalLink>
      </p>
      <h1>{t('queue.case.title', { caseNumber: detail.caseNumber })}</h1>
      {actionData?.done && actionData.done !== 'previewed' && actionData.done !== 'revealed' ? (
        <p className="notice-box" role="status">
          {actionData.done === 'hashOff' || actionData.done === 'hashOn'
            ? t(actionData.done === 'hashOff' ? 'review.switchedOff' : 'review.switchedOn')
            : t(`queue.case.done.${actionData.done}`)}
        </p>
      ) : null}
      <ErrorList id="case-error" errors={actionData?.error ? [message(actionData.error)] : undefined} />

      <dl className="hashes">
        <dt>{t('queue.list.state')}</dt>
        <dd>{t(`queue.caseState.${detail.state}`)}</dd>
        <dt>{t('queue.list.opened')}</dt>
        <dd>
          <When ms={detail.createdAt} />
        </dd>
        <dt>{t('queue.list.requester')}</dt>
        <dd>{t(`queue.requester.${detail.requester}`)}</dd>
        <dt>{t('queue.case.consent')}</dt>
        <dd>{detail.noticesConsent ? t('queue.case.yes') : t('queue.case.no')}</dd>
      </dl>

      <section aria-labelledby="contact-title">
        <h2 id="contact-title">{t('queue.case.contactTitle')}</h2>
        {!detail.hasContact ? (
          <p>{t('queue.case.noContact')}</p>
        ) : actionData?.done === 'revealed' && actionData.email ? (
          // Shown in this response only: reloading the page hides it again.
          <p data-testid="contact-email">{actionData.email}</p>
        ) : (
          <Form method="post">
            <p className="hint">{t('queue.case.revealHint')}</p>
            <button type="submit" name="intent" value="reveal" className="button secondary">
              {t('queue.case.reveal')}
            </button>
          </Form>
        )}
      </section>

      <section aria-labelledby="hashes-title">
        <h2 id="hashes-title">{t('queue.case.hashesTitle')}</h2>
        {detail.hashes.length === 0 ? <p>{t('queue.case.noHashes')}</p> : null}
        <ul className="file-list">
          {detail.hashes.map((h) => (
            <li key={h.id} className="file-row">
              {t('queue.case.file', { item: h.item })} · {h.kind.toUpperCase()} <code>{h.prefix}…</code>
              {h.frames > 1 ? <> · {t('queue.case.frames', { count: h.frames })}</> : null} · {t(`queue.hashStatus.${h.status}`)}
              {h.status !== 'withdrawn' ? (
                // The per-hash switch: off takes it out of the feed (as Deleted) and out of matching.
                <Form method="post" className="actions" aria-label={t('review.switchTitle')}>
                  <input type="hidden" name="hashId" value={h.id} />
                  <button
                    type="submit"
                    name="intent"
                    value={h.status === 'active' ? 'hash-off' : 'hash-on'}
                    className="button secondary"
                    aria-label={t(h.status === 'active' ? 'review.switchOffLabel' : 'review.switchOnLabel', { item: h.item, kind: h.kind.toUpperCase() })}
                  >
                    {h.status === 'active' ? t('review.switchOff') : t('review.switchOn')}
                  </button>
                </Form>
              ) : null}
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="urls-title">
        <h2 id="urls-title">{t('queue.case.urlsTitle')}</h2>
        {detail.locations.length === 0 ? <p>{t('queue.case.noUrls')}</p> : null}
        <Form method="post">
          <ul className="file-list">
            {detail.locations.map((l) => {
              const choosable = draftable.includes(l)
              return (
                <li key={l.id} className="file-row">
                  <label className="choice">
                    {choosable ? <input type="checkbox" name="locationId" value={l.id} /> : null}
                    {/* Text, never a link: a reported address may be abusive and should not be one click away. */}
                    <span className="file-name">{l.url}</span>
                  </label>
                  <p className="hint">
                    {l.providerName ?? t('queue.case.noProvider')} · {t(`queue.locationState.${l.state}`)}
                    {l.inNotice ? <> · {t('queue.case.inNotice')}</> : null}
                  </p>
                </li>
              )
            })}
          </ul>
          {draftable.length > 0 ? (
            <button type="submit" name="intent" value="draft" className="button">
              {t('queue.case.draft')}
            </button>
          ) : null}
        </Form>
      </section>

      <section aria-labelledby="notices-title">
        <h2 id="notices-title">{t('queue.case.noticesTitle')}</h2>
        {exampleOrganisation ? (
          <p className="notice-box" role="note">
            {sendingBlocked ? t('queue.case.exampleBlocked') : t('queue.case.exampleWarning')}
          </p>
        ) : null}
        {detail.notices.length === 0 ? <p>{t('queue.case.noNotices')}</p> : null}
        <ul className="file-list">
          {detail.notices.map((n) => (
            <NoticeItem key={n.id} notice={n} />
          ))}
        </ul>
      </section>

      <NotesSection />

      <section aria-labelledby="timeline-title">
        <h2 id="timeline-title">{t('queue.case.timelineTitle')}</h2>
        {detail.timeline.length === 0 ? <p>{t('queue.case.noTimeline')}</p> : null}
        <ol>
          {detail.timeline.map((e) => (
            <li key={e.id} data-kind={e.kind} data-actor={e.actorType}>
              <When ms={e.createdAt} /> · {e.providerName ? <>{e.providerName} · </> : null}
              <TimelineEventWords kind={e.kind} detail={e.detail} />
              <FollowUpEventDetail kind={e.kind} detail={e.detail} />
              <ProviderAnswerDetail kind={e.kind} actorType={e.actorType} detail={e.detail} />
            </li>
          ))}
        </ol>
      </section>
    </main>
  )
}

type NoticeDetailView = ReturnType<typeof useLoaderData<typeof loader>>['detail']['notices'][number]

function NoticeItem({ notice: n }: { notice: NoticeDetailView }) {
  const { t } = useTranslation()
  const { maxExplanation } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const preview = actionData?.preview?.noticeId === n.id ? actionData.preview : null
  return (
    <li className="file-row" data-notice-id={n.id} id={`notice-${n.id}`}>
      <div className="file-head">
        <span className="file-name">{n.providerName}</span>
        <span>
          {t(`queue.regime.${n.regime}`)} · {t(`queue.noticeState.${n.state}`)}
        </span>
      </div>
      <dl className="hashes">
        <dt>{t('queue.case.recipients')}</dt>
        <dd>{n.recipients.length > 0 ? n.recipients.join(', ') : t('queue.case.noRecipients')}</dd>
        <dt>{t('queue.case.urlsTitle')}</dt>
        <dd>{n.urls.join(', ')}</dd>
        {n.sentAt ? (
          <>
            <dt>{t('queue.case.sentAt')}</dt>
            <dd>
              <When ms={n.sentAt} />
            </dd>
          </>
        ) : null}
        {n.deadlineAt ? (
          <>
            <dt>{t('queue.case.deadline')}</dt>
            <dd>
              <When ms={n.deadlineAt} />
            </dd>
          </>
        ) : null}
      </dl>
      {n.placeholder ? <p className="hint">{t('queue.case.placeholder')}</p> : null}
      {n.state === 'draft' ? (
        <>
          <Form method="post">
            <input type="hidden" name="noticeId" value={n.id} />
            <label htmlFor={`explanation-${n.id}`}>{t('queue.case.explanation')}</label>
            <textarea id={`explanation-${n.id}`} name="explanation" defaultValue={n.explanation ?? ''} maxLength={maxExplanation} rows={4} />
            <div className="actions">
              <button type="submit" name="intent" value="explanation" className="button secondary">
                {t('queue.case.saveExplanation')}
              </button>
              <button type="submit" name="intent" value="preview" className="button secondary">
                {t('queue.case.preview')}
              </button>
            </div>
          </Form>
          <Form method="post">
            <input type="hidden" name="noticeId" value={n.id} />
            <button type="submit" name="intent" value="send" className="button">
              {t('queue.case.send')}
            </button>
          </Form>
        </>
      ) : null}
      <FollowUpActions noticeId={n.id} />
      {preview ? (
        <div data-testid="notice-preview">
          <p>
            {t('queue.case.previewTo')} {preview.to.join(', ')}
            <br />
            {t('queue.case.previewSubject')} {preview.subject}
          </p>
          <pre>{preview.text}</pre>
        </div>
      ) : null}
    </li>
  )
}

function NotesSection() {
  const { t } = useTranslation()
  const message = useStaffMessage()
  const { detail } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const navigation = useNavigation()
  const [form, fields] = useForm({
    id: 'case-note-form',
    lastResult: actionData?.note,
    constraint: getZodConstraint(NoteSchema),
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
    onValidate: ({ formData }) => parseWithZod(formData, { schema: NoteSchema }),
  })
  return (
    <section aria-labelledby="notes-title">
      <h2 id="notes-title">{t('queue.case.notesTitle')}</h2>
      {detail.notes.length === 0 ? <p>{t('queue.case.noNotes')}</p> : null}
      <ul className="file-list">
        {detail.notes.map((n) => (
          <li key={n.id} className="file-row">
            <p className="hint">
              <When ms={n.createdAt} /> · {n.author ?? t('queue.case.formerStaff')}
            </p>
            {/* React escapes text: a note is shown exactly as typed, never as markup. */}
            <p className="note-body">{n.body}</p>
          </li>
        ))}
      </ul>
      <Form method="post" {...getFormProps(form)}>
        <input type="hidden" name="intent" value="note" />
        <label htmlFor={fields.body.id}>{t('queue.case.noteLabel', { max: MAX_NOTE_LENGTH })}</label>
        <textarea {...getTextareaProps(fields.body)} rows={4} aria-describedby={fields.body.errors?.length ? `${fields.body.id}-error` : undefined} />
        <ErrorList id={`${fields.body.id}-error`} errors={fields.body.errors?.map(message)} />
        <button type="submit" className="button secondary" disabled={navigation.state === 'submitting'}>
          {t('queue.case.addNote')}
        </button>
      </Form>
    </section>
  )
}

/** The next steps on a notice past its deadline: send again to another contact, escalate, and for TAKE IT DOWN the FTC packet. */
function FollowUpActions({ noticeId }: { noticeId: string }) {
  const { t } = useTranslation()
  const message = useStaffMessage()
  const { followUps, maxEscalationNote } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const navigation = useNavigation()
  const followUp = followUps[noticeId]
  if (!followUp) return null
  const mine = actionData?.followUp?.noticeId === noticeId ? actionData.followUp : null
  const errorOf = (field: string) => (mine?.error && mine.field === field ? [message(mine.error)] : undefined)
  const toError = errorOf('to')
  const noteError = errorOf('note')
  const ids = { to: `followup-to-${noticeId}`, other: `followup-other-${noticeId}`, note: `followup-note-${noticeId}` }
  return (
    <section aria-labelledby={`followup-${noticeId}`} data-testid="follow-up">
      <h3 id={`followup-${noticeId}`}>{t('followup.title')}</h3>
      <p className="hint">{t('followup.late')}</p>
      {mine?.done ? (
        <p className="notice-box" role="status">
          {t(`followup.done.${mine.done}`)}
        </p>
      ) : null}
      <ErrorList id={`followup-error-${noticeId}`} errors={errorOf('noticeId') ?? errorOf('caseId')} />

      <Form method="post">
        <input type="hidden" name="noticeId" value={noticeId} />
        <h4>{t('followup.sendAgainTitle')}</h4>
        <p className="hint">{t('followup.sendAgainHint')}</p>
        {followUp.otherAddresses.length > 0 ? (
          <>
            <label htmlFor={ids.to}>{t('followup.chooseAddress')}</label>
            <select id={ids.to} name="to" defaultValue="">
              <option value="">{t('followup.chooseNone')}</option>
              {followUp.otherAddresses.map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          </>
        ) : (
          <p className="hint">{t('followup.noOtherAddress')}</p>
        )}
        <label htmlFor={ids.other}>{t('followup.otherAddress')}</label>
        <p className="hint" id={`${ids.other}-hint`}>
          {t('followup.otherHint')}
        </p>
        <input
          id={ids.other}
          name="otherTo"
          type="email"
          maxLength={254}
          autoComplete="off"
          aria-invalid={toError ? true : undefined}
          aria-describedby={toError ? `${ids.other}-hint ${ids.other}-error` : `${ids.other}-hint`}
        />
        <ErrorList id={`${ids.other}-error`} errors={toError} />
        <button type="submit" name="intent" value="send-again" className="button" disabled={navigation.state === 'submitting'}>
          {t('followup.sendAgain')}
        </button>
      </Form>

      <Form method="post">
        <input type="hidden" name="noticeId" value={noticeId} />
        <h4>{t('followup.escalateTitle')}</h4>
        <label htmlFor={ids.note}>{t('followup.noteLabel')}</label>
        <p className="hint" id={`${ids.note}-hint`}>
          {t('followup.noteHint')}
        </p>
        <textarea
          id={ids.note}
          name="note"
          rows={3}
          required
          maxLength={maxEscalationNote}
          aria-invalid={noteError ? true : undefined}
          aria-describedby={noteError ? `${ids.note}-hint ${ids.note}-error` : `${ids.note}-hint`}
        />
        <ErrorList id={`${ids.note}-error`} errors={noteError} />
        <button type="submit" name="intent" value="escalate" className="button secondary" disabled={navigation.state === 'submitting'}>
          {t('followup.escalate')}
        </button>
      </Form>

      {followUp.ftcPacket ? (
        <>
          <h4>{t('followup.ftcTitle')}</h4>
          <p className="hint">{t('followup.ftcHint')}</p>
          <p className="actions">
            <LocalLink to={`/staff/notices/${noticeId}/ftc`}>{t('followup.ftcOpen')}</LocalLink>
            {/* A plain link: the text file is a resource route, a download rather than a page. */}
            <a href={`/staff/notices/${noticeId}/ftc.txt`} download>
              {t('followup.ftcDownload')}
            </a>
          </p>
        </>
      ) : null}
    </section>
  )
}

const HASH_KINDS = ['pdq', 'md5', 'sha256', 'vpdq']
/** Events whose detail.reason is one of ours (timeline.reason.*); a provider's reason for declining is their own words, shown by ProviderAnswerDetail. */
const REASONED_KINDS = ['reminder_not_sent', 'closed']

/**
 * What happened, in the page's language: one sentence per kind of event, with
 * the reason when the event carries one and the kind of hash for a hash
 * event. Exported for the test that renders every kind.
 */
export function TimelineEventWords({ kind, detail }: { kind: string; detail: Record<string, unknown> | null }) {
  const { t, i18n } = useTranslation()
  const key = `timeline.event.${kind}`
  // A kind this page has no words for yet still reads as words, not as a key.
  const words = i18n.exists(key) ? t(key) : kind.replace(/_/g, ' ')
  const reasonKey = REASONED_KINDS.includes(kind) && typeof detail?.reason === 'string' ? `timeline.reason.${detail.reason}` : null
  const hashKind = typeof detail?.kind === 'string' && HASH_KINDS.includes(detail.kind) ? detail.kind.toUpperCase() : null
  return (
    <span className="timeline-event">
      {words}
      {reasonKey && i18n.exists(reasonKey) ? `: ${t(reasonKey)}` : null}
      {hashKind ? ` · ${hashKind}` : null}
    </span>
  )
}

/**
 * A provider's answer on the timeline, in words: what they said and how, and
 * for a refusal or "not ours" their own words. Those words come from outside:
 * they are rendered as text (React escapes them), never as markup or a link.
 * Exported for the test that renders it.
 */
export function ProviderAnswerDetail({ kind, actorType, detail }: { kind: string; actorType: string; detail: Record<string, unknown> | null }) {
  const { t } = useTranslation()
  if (actorType !== 'provider') return null
  const count = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0)
  const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v : null)
  const via = detail?.via === 'link' || detail?.via === 'api' ? t(`timeline.via.${detail.via}`) : null
  let words: string
  let quoted: { label: string; value: string | null; none?: string } | null = null
  switch (kind) {
    case 'acknowledged':
      words = t('timeline.answer.acknowledged')
      break
    case 'removed':
    case 'not_found': {
      const remaining = count(detail?.remaining)
      words = t(`timeline.answer.${kind}`, { count: count(detail?.locations) })
      if (remaining > 0) words += ` ${t('timeline.answer.remaining', { count: remaining })}`
      break
    }
    case 'declined':
      words = t('timeline.answer.declined')
      quoted = { label: t('timeline.answer.reason'), value: text(detail?.reason) }
      break
    case 'not_ours':
      words = t('timeline.answer.not_ours')
      quoted = { label: t('timeline.answer.contact'), value: text(detail?.suggestedContact), none: t('timeline.answer.noContact') }
      break
    case 'link_requested':
      words = t('timeline.answer.link_requested')
      break
    default:
      return null
  }
  return (
    <div className="timeline-answer" data-testid="provider-answer">
      <p>
        {words}
        {via ? ` ${via}` : null}
      </p>
      {quoted?.value ? (
        <p>
          {quoted.label} <span className="provider-text">{quoted.value}</span>
        </p>
      ) : quoted?.none ? (
        <p>{quoted.none}</p>
      ) : null}
    </div>
  )
}

/** What a follow-up event adds on the timeline: the escalation note (shown as typed, escaped by React), or the new deadline. */
function FollowUpEventDetail({ kind, detail }: { kind: string; detail: Record<string, unknown> | null }) {
  const { t } = useTranslation()
  if (kind === 'escalated' && typeof detail?.note === 'string') return <> · {t('followup.timeline.note', { note: detail.note })}</>
  if (kind === 'sent_again' && typeof detail?.deadlineAt === 'number') {
    return (
      <>
        {' '}
        · {t('followup.timeline.newDeadline')} <When ms={detail.deadlineAt} />
      </>
    )
  }
  return null
}
