/**
 * A removal request under Section 3 of the TAKE IT DOWN Act (Pub. L. 119-12,
 * 47 U.S.C. 223a). Section 3(a)(1)(B) makes a request valid when it has, in
 * writing: (i) a physical or electronic signature; (ii) identification of the
 * depiction and information reasonably sufficient to locate it; (iii) a brief
 * statement of good-faith belief that it is not consensual, with relevant
 * information; (iv) contact information. Each has its own section below, and
 * the platform's duty (removal within 48 hours, known identical copies) is
 * spelled out with the deadline in UTC.
 */
import {
  careBlock,
  childAbuseBlock,
  contactBlocks,
  explanationBlocks,
  formatUtc,
  greeting,
  headerFields,
  locationBlocks,
  renderBlocks,
  responseBlocks,
  senderSentence,
  signatureBlocks,
  subjectSuffix,
  voice,
  type NoticeProps,
  type RenderedNotice,
} from './notice'

export function takeItDownNotice(props: NoticeProps): RenderedNotice {
  const v = voice(props.signatory)
  const subject = `Removal request under the TAKE IT DOWN Act${subjectSuffix(props)}`
  return renderBlocks(subject, [
    headerFields(props),
    greeting(props),
    {
      type: 'paragraph',
      text:
        'This is a removal request under Section 3 of the TAKE IT DOWN Act (Public Law 119-12, 47 U.S.C. 223a). ' +
        "It concerns intimate visual depictions of an identifiable individual that were published on your service without that individual's consent. " +
        senderSentence(props),
    },

    { type: 'heading', text: 'Identification and location of the intimate visual depiction' },
    ...locationBlocks(props, 'intimate visual depiction of the identifiable individual'),

    { type: 'heading', text: 'Statement of good faith' },
    {
      type: 'paragraph',
      text:
        `${v.Ihave} a good faith belief that the intimate visual depiction identified above is not consensual: ` +
        'it was published without the consent of the identifiable individual it depicts.',
    },
    ...explanationBlocks(props),
    ...childAbuseBlock(props),

    { type: 'heading', text: 'What the law requires of you' },
    {
      type: 'paragraph',
      text:
        'Under Section 3(a)(3) of the Act, a covered platform that receives a valid removal request must, as soon as possible and ' +
        'not later than 48 hours after receiving it, remove the intimate visual depiction and make reasonable efforts to identify ' +
        'and remove any known identical copies of it.',
    },
    {
      type: 'paragraph',
      text: `This request was sent on ${formatUtc(props.sentAt)}. Counted from then, the 48 hours end on ${formatUtc(props.deadlineAt)}.`,
    },
    {
      type: 'paragraph',
      text:
        'Failure to reasonably comply is treated as a violation of a rule defining an unfair or deceptive act or practice ' +
        'under the Federal Trade Commission Act.',
    },

    ...contactBlocks(props),
    careBlock(),
    ...responseBlocks(props, true),
    ...signatureBlocks(props),
  ])
}
