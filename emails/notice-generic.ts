/**
 * A removal request for a website that no notice law we rely on binds: a
 * plain request under the site's own terms, with the same facts, statement,
 * contact details and signature as the statutory notices.
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

export function genericNotice(props: NoticeProps): RenderedNotice {
  const v = voice(props.signatory)
  const subject = `Request to remove intimate images shared without consent${subjectSuffix(props)}`
  return renderBlocks(subject, [
    headerFields(props),
    greeting(props),
    {
      type: 'paragraph',
      text:
        `${v.I} ask you to remove intimate images of a person that were published on your service without that person's consent. ` +
        'Publishing intimate images without consent breaks the terms of service of almost every website, and in many countries it is a crime. ' +
        'Please remove them under your terms of service and the law that applies to you. ' +
        senderSentence(props),
    },

    { type: 'heading', text: 'Where the images are' },
    ...locationBlocks(props, 'intimate images'),

    { type: 'heading', text: 'Why they must come down' },
    {
      type: 'paragraph',
      text: `${v.Ihave} a good faith belief that these images were published without the consent of the person depicted, and that the information in this request is accurate.`,
    },
    ...explanationBlocks(props),
    ...childAbuseBlock(props),

    { type: 'heading', text: 'What we ask of you' },
    {
      type: 'paragraph',
      text:
        'Please remove the images at each address above, remove any identical copies you know of, and stop them from being uploaded again. ' +
        `Please tell us the outcome by ${formatUtc(props.deadlineAt)}.`,
    },

    ...contactBlocks(props),
    careBlock(),
    ...responseBlocks(props, true),
    ...signatureBlocks(props),
  ])
}
