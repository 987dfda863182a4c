/**
 * A notification of claimed infringement under the DMCA, 17 U.S.C.
 * 512(c)(3)(A), with its six elements in the statute's order: (i) signature;
 * (ii) the copyrighted work; (iii) the infringing material and where it is;
 * (iv) the complaining party's contact details; (v) good-faith statement;
 * (vi) accuracy, and authority under penalty of perjury.
 *
 * The claim rests on the survivor having made the photographs or videos
 * themselves (so they own the copyright); the caseworker chooses this regime
 * only when that is so.
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

export function dmcaNotice(props: NoticeProps): RenderedNotice {
  const v = voice(props.signatory)
  const subject = `DMCA notice of copyright infringement${subjectSuffix(props)}`
  const authority =
    props.signatory.kind === 'person' && props.signatory.capacity === 'self'
      ? 'I am the owner, or authorised to act on behalf of the owner, of an exclusive right that is allegedly infringed'
      : `${v.iam} authorised to act on behalf of the owner of an exclusive right that is allegedly infringed`
  return renderBlocks(subject, [
    headerFields(props),
    greeting(props),
    {
      type: 'paragraph',
      text:
        'This is a notification of claimed infringement under the Digital Millennium Copyright Act, 17 U.S.C. 512(c)(3)(A). ' +
        'Please remove or disable access to the material identified below. ' +
        senderSentence(props),
    },

    { type: 'heading', text: 'Identification of the copyrighted work' },
    {
      type: 'paragraph',
      text:
        'The copyrighted works are original photographs and videos made by the person depicted in them, who owns the copyright in them. ' +
        'They are private images that were never licensed for publication.',
    },

    { type: 'heading', text: 'Identification and location of the infringing material' },
    ...locationBlocks(props, 'infringing material (unauthorised copies of those works)'),
    ...explanationBlocks(props),
    ...childAbuseBlock(props),

    ...contactBlocks(props, 'Contact information of the complaining party'),

    { type: 'heading', text: 'Statement of good faith' },
    {
      type: 'paragraph',
      text: `${v.Ihave} a good faith belief that use of the material in the manner complained of is not authorised by the copyright owner, its agent, or the law.`,
    },

    { type: 'heading', text: 'Statement of accuracy and authority' },
    {
      type: 'paragraph',
      text: `The information in this notification is accurate, and under penalty of perjury, ${authority}.`,
    },

    { type: 'heading', text: 'What we ask of you' },
    {
      type: 'paragraph',
      text:
        'Please remove or disable access to the material at each address above expeditiously, as 17 U.S.C. 512(c)(1)(C) requires of a service provider that relies on its safe harbour, ' +
        `and tell us the outcome by ${formatUtc(props.deadlineAt)}.`,
    },
    careBlock(),
    ...responseBlocks(props, true),
    ...signatureBlocks(props),
  ])
}
