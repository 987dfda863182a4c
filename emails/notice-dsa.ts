/**
 * A notice under Article 16 of the Digital Services Act (Regulation (EU)
 * 2022/2065). Article 16(2) lists what makes a notice complete: (a) a
 * substantiated explanation why the content is illegal; (b) its exact
 * location; (c) the notifier's name and email address, except for the child
 * sexual abuse offences of Articles 3 to 7 of Directive 2011/93/EU; (d) a
 * statement of bona fide belief that the notice is accurate and complete. A
 * complete notice gives the provider actual knowledge (16(3)); we also ask for
 * the confirmation of receipt (16(4)) and the reasoned decision with redress
 * options (16(5)) that the provider owes us.
 *
 * For child sexual abuse material the notice names no notifier at all: not
 * the survivor, not the organisation, and no contact details that would
 * identify either. The provider answers through the response page.
 */
import {
  careBlock,
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
  type Block,
  type NoticeProps,
  type RenderedNotice,
} from './notice'

function illegality(props: NoticeProps): string {
  if (props.childSexualAbuseMaterial) {
    return (
      'The content is child sexual abuse material: the person depicted was under 18 when it was made. ' +
      'Distributing, disseminating or making it available is an offence under Article 5 of Directive 2011/93/EU ' +
      'on combating the sexual abuse and sexual exploitation of children and child pornography, and under the national law of every Member State.'
    )
  }
  return (
    "The content consists of intimate images of the person depicted, made available on your service without that person's consent. " +
    'Sharing intimate images of a person without their consent is a criminal offence in many Member States, and Article 5 of ' +
    'Directive (EU) 2024/1385 on combating violence against women and domestic violence requires every Member State to make it one. ' +
    "It also infringes the person's rights to respect for private life and to the protection of personal data " +
    '(Articles 7 and 8 of the Charter of Fundamental Rights of the European Union).'
  )
}

function notifierBlocks(props: NoticeProps): Block[] {
  const heading: Block = { type: 'heading', text: 'Name and email address of the notifier (Article 16(2)(c))' }
  if (props.childSexualAbuseMaterial) {
    return [
      heading,
      {
        type: 'paragraph',
        text:
          "As Article 16(2)(c) allows, this notice does not give the notifier's name or email address, because it concerns " +
          'one of the offences referred to in Articles 3 to 7 of Directive 2011/93/EU.',
      },
    ]
  }
  const { signatory, organisation } = props
  const rows: Array<readonly [string, string]> =
    signatory.kind === 'person'
      ? [
          ['Name', signatory.fullName],
          ['Represented by', organisation.name],
          ['Email', organisation.email],
        ]
      : [
          ['Name', `${organisation.name}, for the person depicted`],
          ['Email', organisation.email],
        ]
  return [heading, { type: 'fields', rows }, ...contactBlocks(props)]
}

export function dsaNotice(props: NoticeProps): RenderedNotice {
  const anonymous = props.childSexualAbuseMaterial
  const v = voice(props.signatory)
  const subject = `Notice of illegal content under Article 16 of the Digital Services Act${subjectSuffix(props)}`
  return renderBlocks(subject, [
    headerFields(props),
    greeting(props),
    {
      type: 'paragraph',
      text:
        'This is a notice of illegal content under Article 16 of Regulation (EU) 2022/2065 (the Digital Services Act). ' +
        'It contains every element Article 16(2) requires, so under Article 16(3) it gives rise to actual knowledge or awareness ' +
        'of this content for the purposes of Article 6. ' +
        (anonymous ? 'It is sent on behalf of the person depicted.' : senderSentence(props)),
    },

    { type: 'heading', text: 'Why the content is illegal (Article 16(2)(a))' },
    { type: 'paragraph', text: illegality(props) },
    ...explanationBlocks(props, 'Further facts'),

    { type: 'heading', text: 'Exact location of the content (Article 16(2)(b))' },
    ...locationBlocks(props, 'content'),

    ...notifierBlocks(props),

    { type: 'heading', text: 'Statement of bona fide belief (Article 16(2)(d))' },
    {
      type: 'paragraph',
      text: anonymous
        ? 'The notifier confirms their bona fide belief that the information and allegations contained in this notice are accurate and complete.'
        : `${v.I} confirm ${v.my} bona fide belief that the information and allegations contained in this notice are accurate and complete.`,
    },

    { type: 'heading', text: 'What we ask of you' },
    { type: 'paragraph', text: 'Please remove or disable access to the content at each address above.' },
    {
      type: 'paragraph',
      text:
        'Under Article 16(4), please confirm receipt of this notice without undue delay. ' +
        'Under Article 16(5), please notify us of your decision without undue delay, with information on the possibilities for redress in respect of that decision. ' +
        'Please also tell us whether you used automated means to process this notice or to decide on it (Article 16(6)).',
    },
    { type: 'paragraph', text: `We ask for your decision by ${formatUtc(props.deadlineAt)}.` },
    careBlock(),
    ...responseBlocks(props, !anonymous),
    ...(anonymous ? [] : signatureBlocks(props)),
  ])
}
