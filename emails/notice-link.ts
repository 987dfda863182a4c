/**
 * A fresh link to answer a notice, sent to the provider's registered notice
 * addresses when someone asks for one on the page of a spent or expired
 * link. Names the notice by its reference only: no organisation, no person,
 * so it says no more than the notice it belongs to (which, for a DSA notice
 * about a child, names no notifier at all).
 */
import { formatUtc, renderBlocks, type RenderedNotice } from './notice'

export interface NoticeLinkEmailProps {
  reference: string
  providerName: string
  /** When the notice was sent: epoch milliseconds. */
  sentAt: number
  url: string
  /** When the link stops working: epoch milliseconds. */
  expiresAt: number
}

export function noticeLinkEmail(props: NoticeLinkEmailProps): RenderedNotice {
  return renderBlocks(`Your link to answer removal notice ${props.reference}`, [
    { type: 'paragraph', text: `To ${props.providerName},` },
    {
      type: 'paragraph',
      text:
        `A new link was asked for, to answer the removal notice with reference ${props.reference} that we sent you on ${formatUtc(props.sentAt)}. ` +
        'Opening the link shows the notice and what has been recorded so far; nothing changes until you press one of the answer buttons on that page.',
    },
    { type: 'link', url: props.url },
    { type: 'paragraph', text: `The link works until ${formatUtc(props.expiresAt)}. Keep it to your team: anyone who has it can answer this notice.` },
    { type: 'paragraph', text: 'If nobody at your organisation asked for it, you can ignore this email; the earlier links stay as they were.' },
  ])
}
