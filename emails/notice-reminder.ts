/**
 * A reminder to a provider that has not answered a removal notice: the
 * original reference and subject, the web addresses again, when the notice
 * went out and when its deadline falls (UTC), for TAKE IT DOWN Act requests
 * the platform's 48-hour duty, and where to answer.
 *
 * Pure, like the notices, and rendered by the same block renderer, so the
 * text and HTML parts say the same thing. It repeats no statement or
 * signature: it follows the notice, it does not replace it.
 *
 * Like the notices it has no prop for the survivor's case number or contact.
 * A DSA notice about child sexual abuse material names no notifier
 * (Article 16(2)(c)); its reminder names none either, not even the
 * organisation, and points only to the response page.
 */
import type { Regime } from '../db/schema'
import { answerLinkBlock, formatUtc, renderBlocks, type Block, type Organisation, type RenderedNotice } from './notice'

export interface ReminderProps {
  /** The notice id, the reference the provider already has. */
  reference: string
  regime: Regime
  providerName: string
  /** The notice's web addresses (those the survivor has not withdrawn since). */
  urls: readonly string[]
  organisation: Organisation
  /** The person depicted was under 18 (requester `self_minor`). */
  childSexualAbuseMaterial: boolean
  /** The subject of the notice; the reminder's is "Reminder: " and this, so mail software threads them. */
  originalSubject: string
  /** Where the provider tells us what it did. */
  responseUrl: string
  /** Epoch milliseconds: when the notice was sent. */
  sentAt: number
  /** Epoch milliseconds: the notice's deadline. */
  deadlineAt: number
  /** Epoch milliseconds: when this reminder goes out; decides whether the deadline "ends" or "ended". */
  remindedAt: number
}

const LAW: Record<Regime, string> = {
  takeitdown: 'a removal request under the TAKE IT DOWN Act (Public Law 119-12, 47 U.S.C. 223a)',
  dmca: 'a DMCA notification of claimed infringement (17 U.S.C. 512(c)(3)(A))',
  dsa: 'a notice of illegal content under Article 16 of the Digital Services Act',
  generic: 'a request to remove intimate images shared without consent',
}

function deadlineBlocks(props: ReminderProps): Block[] {
  const passed = props.remindedAt >= props.deadlineAt
  const deadline = formatUtc(props.deadlineAt)
  if (props.regime === 'takeitdown') {
    return [
      { type: 'heading', text: 'Your duty under the TAKE IT DOWN Act' },
      {
        type: 'paragraph',
        text:
          'Under Section 3(a)(3) of the Act, a covered platform that receives a valid removal request must, as soon as possible and ' +
          'not later than 48 hours after receiving it, remove the intimate visual depiction and make reasonable efforts to identify ' +
          'and remove any known identical copies of it.',
      },
      {
        type: 'paragraph',
        text: passed
          ? `Counted from when our request was sent, the 48 hours ended on ${deadline}.`
          : `Counted from when our request was sent, the 48 hours end on ${deadline}.`,
      },
      {
        type: 'paragraph',
        text:
          'Failure to reasonably comply is treated as a violation of a rule defining an unfair or deceptive act or practice ' +
          'under the Federal Trade Commission Act.',
      },
    ]
  }
  return [
    {
      type: 'paragraph',
      text: passed ? `We asked for your answer by ${deadline}. That date has passed.` : `We asked for your answer by ${deadline}.`,
    },
  ]
}

function childAbuseBlocks(props: ReminderProps): Block[] {
  if (!props.childSexualAbuseMaterial) return []
  return [{ type: 'paragraph', text: 'The person depicted was under 18 when this material was made: it is child sexual abuse material. Please remove it at once.' }]
}

/** The reminder for one unanswered notice; its subject is "Reminder: " and the notice's. */
export function noticeReminder(props: ReminderProps): RenderedNotice {
  // The DSA lets a notice about child sexual abuse material name no notifier; the reminder keeps that.
  const anonymous = props.regime === 'dsa' && props.childSexualAbuseMaterial
  const n = props.urls.length
  const subject = `Reminder: ${props.originalSubject}`
  const blocks: Block[] = [
    {
      type: 'fields',
      rows: [
        ['Reference', props.reference],
        ['Original notice sent', formatUtc(props.sentAt)],
        ['Deadline', formatUtc(props.deadlineAt)],
        ['Reminder sent', formatUtc(props.remindedAt)],
      ],
    },
    { type: 'paragraph', text: `To ${props.providerName},` },
    {
      type: 'paragraph',
      text:
        `On ${formatUtc(props.sentAt)} we sent you ${LAW[props.regime]}, reference ${props.reference}, ` +
        `with the subject "${props.originalSubject}". We have not had your answer yet.`,
    },
    {
      type: 'paragraph',
      text: `It concerns the material at the following ${n === 1 ? 'web address' : `${n} web addresses`} on your service:`,
    },
    { type: 'urls', urls: props.urls },
    ...childAbuseBlocks(props),
    ...deadlineBlocks(props),
    { type: 'heading', text: 'Your answer' },
    {
      type: 'paragraph',
      text: `Please tell us what you did, quoting reference ${props.reference}, at this page${anonymous ? '' : `, or by email to ${props.organisation.email}`}:`,
    },
    { type: 'link', url: props.responseUrl },
    answerLinkBlock(),
    {
      type: 'paragraph',
      text: 'Please write only to us, not to the person depicted, and do not send us copies of the material: the web addresses above are all you need.',
    },
  ]
  if (!anonymous) blocks.push({ type: 'paragraph', text: `${props.organisation.name}, for the person depicted` })
  return renderBlocks(subject, blocks)
}
