/**
 * The notice templates: every element each law requires, in the plain text
 * AND in the HTML, the signature rule, the DSA's anonymity for child sexual
 * abuse material, escaping, and that nothing about the survivor leaks in.
 */
import { describe, expect, it } from 'vitest'
import type { Regime } from '../../db/schema'
import { formatCaseNumber, newCaseNumber } from '../../app/lib/case-codes.server'
import { formatUtc, renderNotice, type NoticeProps, type RenderedNotice } from '../../emails/notice'
import { dmcaNotice } from '../../emails/notice-dmca'
import { dsaNotice } from '../../emails/notice-dsa'
import { genericNotice } from '../../emails/notice-generic'
import { takeItDownNotice } from '../../emails/notice-takeitdown'

const REGIMES: Regime[] = ['takeitdown', 'dmca', 'dsa', 'generic']
const SENT = Date.UTC(2026, 11, 1, 14, 5)
const DEADLINE_48H = SENT + 48 * 60 * 60 * 1000
const URLS = ['https://pics.example/u/123/photo.jpg', 'https://cdn.pics.example/v/9?id=7&x=1']

const ORG = {
  name: 'Northside Helpline',
  email: 'notices@northside.example',
  postalAddress: '12 Harbour Road\nBristol BS1 4AA',
  phone: '+44 117 496 0000',
  website: 'https://northside.example',
}

function props(over: Partial<NoticeProps> = {}): NoticeProps {
  return {
    reference: '0193b7a2-5c1e-7d4f-9a0b-1c2d3e4f5a6b',
    providerName: 'Pics Example Inc.',
    urls: URLS,
    organisation: ORG,
    signatory: { kind: 'organisation' },
    childSexualAbuseMaterial: false,
    explanation: 'Uploaded by a former partner after the relationship ended.',
    responseUrl: 'https://takeback.northside.example/notices/respond/AQGTt6JcHn1PmgscLT5PWmsBk7eiXB59T5oLHC0-T1prAAABk7eiXB5',
    sentAt: SENT,
    deadlineAt: DEADLINE_48H,
    ...over,
  }
}

const PERSON = { kind: 'person', fullName: 'Alex Marlowe', capacity: 'self' } as const

/**
 * What a reader of the HTML part sees: tags dropped, entities decoded, spaces
 * collapsed, and a table row's label and value joined as "Label: value", as
 * the text part writes them.
 */
function visible(html: string): string {
  return html
    .replace(/<title>.*?<\/title>/s, ' ')
    .replace(/<\/th>\s*<td[^>]*>/g, ': ')
    .replace(/<br>/g, '\n')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
}
const flat = (text: string) => text.replace(/\s+/g, ' ')

/** Both parts, as a reader sees them, each checked with the same expectation. */
function parts(r: RenderedNotice): Array<[string, string]> {
  return [
    ['text', flat(r.text)],
    ['html', visible(r.html)],
  ]
}

function expectInBoth(r: RenderedNotice, phrases: readonly string[]) {
  for (const [part, body] of parts(r)) {
    for (const phrase of phrases) expect(body, `${part} should contain: ${phrase}`).toContain(phrase)
  }
}

function expectInNeither(r: RenderedNotice, phrases: readonly string[]) {
  for (const [part, body] of parts(r)) {
    for (const phrase of phrases) expect(body, `${part} should not contain: ${phrase}`).not.toContain(phrase)
  }
  for (const phrase of phrases) expect(r.subject).not.toContain(phrase)
}

/** Every notice names where the material is and how to answer. */
const COMMON = [
  ...URLS,
  'Reference: 0193b7a2-5c1e-7d4f-9a0b-1c2d3e4f5a6b',
  `Date sent: ${formatUtc(SENT)}`,
  'To Pics Example Inc.,',
  'Uploaded by a former partner after the relationship ended.',
  'https://takeback.northside.example/notices/respond/AQGTt6JcHn1PmgscLT5PWmsBk7eiXB59T5oLHC0-T1prAAABk7eiXB5',
  'quoting reference 0193b7a2-5c1e-7d4f-9a0b-1c2d3e4f5a6b',
  'Opening the page only shows this notice and what has been recorded so far. Nothing is recorded until you press one of its buttons',
  'do not send us copies of the material',
]

/** Contact information: the organisation, never the survivor. */
const CONTACT = ['Northside Helpline', '12 Harbour Road', 'Bristol BS1 4AA', 'notices@northside.example', '+44 117 496 0000', 'https://northside.example']

describe('formatUtc', () => {
  it('writes a date and time in UTC the same way on every machine', () => {
    expect(formatUtc(SENT)).toBe('1 December 2026, 14:05 UTC')
    expect(formatUtc(Date.UTC(2027, 0, 9, 3, 7))).toBe('9 January 2027, 03:07 UTC')
  })
})

describe('renderNotice', () => {
  it('picks the template of the regime', () => {
    const p = props()
    expect(renderNotice('takeitdown', p)).toEqual(takeItDownNotice(p))
    expect(renderNotice('dmca', p)).toEqual(dmcaNotice(p))
    expect(renderNotice('dsa', p)).toEqual(dsaNotice(p))
    expect(renderNotice('generic', p)).toEqual(genericNotice(p))
    expect(new Set(REGIMES.map((r) => renderNotice(r, p).subject)).size).toBe(4)
  })

  it.each(REGIMES)('%s: links each web address in the HTML, numbered in the text', (regime) => {
    const r = renderNotice(regime, props())
    expect(r.text).toContain(`1. ${URLS[0]}`)
    expect(r.text).toContain(`2. ${URLS[1]}`)
    expect(r.html).toContain(`<a href="${URLS[0]}">${URLS[0]}</a>`)
    // & in a query string is escaped inside the attribute and the text.
    expect(r.html).toContain('<a href="https://cdn.pics.example/v/9?id=7&amp;x=1">')
    expect(r.html).toMatch(/^<!doctype html><html lang="en">/)
    expect(r.text.endsWith('\n')).toBe(true)
  })
})

describe('TAKE IT DOWN Act request (47 U.S.C. 223a)', () => {
  const r = takeItDownNotice(props())

  it('has every element of a valid request, in the text and the HTML', () => {
    expect(r.subject).toBe('Removal request under the TAKE IT DOWN Act – reference 0193b7a2-5c1e-7d4f-9a0b-1c2d3e4f5a6b')
    expectInBoth(r, [
      ...COMMON,
      ...CONTACT,
      'Section 3 of the TAKE IT DOWN Act (Public Law 119-12, 47 U.S.C. 223a)',
      // (i) signature
      'Electronic signature: /s/ Northside Helpline',
      // (ii) identification and location
      'Identification and location of the intimate visual depiction',
      'this information is reasonably sufficient for you to locate it',
      // (iii) good faith, with relevant information
      'a good faith belief that the intimate visual depiction identified above is not consensual',
      'published without the consent of the identifiable individual',
      'Relevant information:',
      // (iv) contact information
      'Contact information',
      // the platform's duty and the deadline
      'not later than 48 hours after receiving it, remove the intimate visual depiction',
      'make reasonable efforts to identify and remove any known identical copies',
      'the 48 hours end on 3 December 2026, 14:05 UTC',
      'unfair or deceptive act or practice',
    ])
  })
})

describe('DMCA notice (17 U.S.C. 512(c)(3)(A))', () => {
  const r = dmcaNotice(props())

  it('has all six elements, in the text and the HTML', () => {
    expect(r.subject).toBe('DMCA notice of copyright infringement – reference 0193b7a2-5c1e-7d4f-9a0b-1c2d3e4f5a6b')
    expectInBoth(r, [
      ...COMMON,
      ...CONTACT,
      '17 U.S.C. 512(c)(3)(A)',
      // (i) signature
      'Electronic signature: /s/ Northside Helpline',
      // (ii) the copyrighted work
      'Identification of the copyrighted work',
      'original photographs and videos made by the person depicted in them, who owns the copyright in them',
      // (iii) the infringing material and its location
      'Identification and location of the infringing material',
      'reasonably sufficient for you to locate it',
      // (iv) the complaining party's contact details
      'Contact information of the complaining party',
      // (v) good faith
      'a good faith belief that use of the material in the manner complained of is not authorised by the copyright owner, its agent, or the law',
      // (vi) accuracy and authority, under penalty of perjury
      'The information in this notification is accurate, and under penalty of perjury, we are authorised to act on behalf of the owner of an exclusive right that is allegedly infringed',
      'by 3 December 2026, 14:05 UTC',
    ])
  })

  it('has the survivor swear as the owner when they sign themselves', () => {
    expectInBoth(dmcaNotice(props({ signatory: PERSON })), [
      'under penalty of perjury, I am the owner, or authorised to act on behalf of the owner, of an exclusive right that is allegedly infringed',
      'I have a good faith belief that use of the material',
    ])
  })
})

describe('DSA Article 16 notice', () => {
  it('has elements (a) to (d), and asks for receipt and a reasoned decision with redress', () => {
    const r = dsaNotice(props())
    expect(r.subject).toBe('Notice of illegal content under Article 16 of the Digital Services Act – reference 0193b7a2-5c1e-7d4f-9a0b-1c2d3e4f5a6b')
    expectInBoth(r, [
      ...COMMON,
      ...CONTACT,
      'Article 16 of Regulation (EU) 2022/2065 (the Digital Services Act)',
      'under Article 16(3) it gives rise to actual knowledge or awareness',
      // (a) substantiated explanation
      'Why the content is illegal (Article 16(2)(a))',
      'intimate images of the person depicted, made available on your service without that person\'s consent',
      'Article 5 of Directive (EU) 2024/1385',
      'Further facts:',
      // (b) exact location
      'Exact location of the content (Article 16(2)(b))',
      // (c) name and email
      'Name and email address of the notifier (Article 16(2)(c))',
      'Name: Northside Helpline, for the person depicted',
      'Email: notices@northside.example',
      // (d) bona fide belief
      'We confirm our bona fide belief that the information and allegations contained in this notice are accurate and complete',
      // 16(4), 16(5), 16(6)
      'Under Article 16(4), please confirm receipt of this notice without undue delay',
      'Under Article 16(5), please notify us of your decision without undue delay, with information on the possibilities for redress in respect of that decision',
      'Article 16(6)',
      'by 3 December 2026, 14:05 UTC',
      'Electronic signature: /s/ Northside Helpline',
    ])
  })

  it('names the survivor as notifier when they sign, with the organisation as their contact', () => {
    const r = dsaNotice(props({ signatory: PERSON }))
    expectInBoth(r, ['Name: Alex Marlowe', 'Represented by: Northside Helpline', 'Email: notices@northside.example', 'I confirm my bona fide belief'])
  })

  it.each([['organisation', { kind: 'organisation' } as const], ['survivor', PERSON]] as const)(
    'omits every detail of the notifier for child sexual abuse material (signed by the %s), and says why',
    (_who, signatory) => {
      const r = dsaNotice(props({ childSexualAbuseMaterial: true, signatory }))
      expect(r.subject).toContain('child sexual abuse material')
      expectInBoth(r, [
        ...URLS,
        "As Article 16(2)(c) allows, this notice does not give the notifier's name or email address, because it concerns one of the offences referred to in Articles 3 to 7 of Directive 2011/93/EU.",
        'The content is child sexual abuse material',
        'Article 5 of Directive 2011/93/EU',
        'The notifier confirms their bona fide belief that the information and allegations contained in this notice are accurate and complete',
        'Under Article 16(4), please confirm receipt',
        'Under Article 16(5), please notify us of your decision',
        'https://takeback.northside.example/notices/respond/AQGTt6JcHn1PmgscLT5PWmsBk7eiXB59T5oLHC0-T1prAAABk7eiXB5',
      ])
      // No name and no email: not the survivor's, not the organisation's, nor anything that identifies it.
      expectNoNotifier(r)
    },
  )

  function expectNoNotifier(r: RenderedNotice) {
    expectInNeither(r, ['Alex Marlowe', 'Northside', 'https://northside.example', 'notices@', 'Harbour Road', '+44 117', 'Electronic signature', 'Name:', 'Email:'])
    for (const [, body] of parts(r)) expect(body).not.toMatch(/[^\s/]+@[^\s]+\.[a-z]{2,}/i)
  }
})

describe('generic request', () => {
  it('asks for removal under the site\'s terms with the same facts', () => {
    const r = genericNotice(props())
    expect(r.subject).toBe('Request to remove intimate images shared without consent – reference 0193b7a2-5c1e-7d4f-9a0b-1c2d3e4f5a6b')
    expectInBoth(r, [
      ...COMMON,
      ...CONTACT,
      'Please remove them under your terms of service and the law that applies to you',
      'published without the consent of the person depicted',
      'a good faith belief',
      'remove any identical copies you know of',
      'by 3 December 2026, 14:05 UTC',
      'Electronic signature: /s/ Northside Helpline',
    ])
  })
})

describe.each(REGIMES)('%s: the signature', (regime) => {
  it("is the survivor's typed full name when they chose to sign", () => {
    const r = renderNotice(regime, props({ signatory: PERSON }))
    expectInBoth(r, ['Electronic signature: /s/ Alex Marlowe', 'Signing as: The person depicted', 'Represented by: Northside Helpline'])
    expectInNeither(r, ['/s/ Northside Helpline', 'Authorised representative of the person depicted'])
  })

  it('names a helper as signing on behalf of the person depicted', () => {
    const r = renderNotice(regime, props({ signatory: { kind: 'person', fullName: 'Jordan Marlowe', capacity: 'on_behalf' } }))
    expectInBoth(r, ['Electronic signature: /s/ Jordan Marlowe', 'Signing as: On behalf of the person depicted', 'I make this request on behalf of the person depicted'])
  })

  it('is the organisation, as authorised representative, otherwise', () => {
    const r = renderNotice(regime, props())
    expectInBoth(r, ['Electronic signature: /s/ Northside Helpline', 'Signing as: Authorised representative of the person depicted'])
    expectInNeither(r, ['Alex Marlowe'])
  })
})

describe.each(REGIMES.filter((r) => r !== 'dsa'))('%s: child sexual abuse material', (regime) => {
  it('says so in the subject and body, with the duty to report, and keeps the contact details', () => {
    const r = renderNotice(regime, props({ childSexualAbuseMaterial: true }))
    expect(r.subject).toContain('– child sexual abuse material –')
    expectInBoth(r, ['The person depicted was under 18 when this material was made: it is child sexual abuse material', '18 U.S.C. 2258A', ...CONTACT])
    expect(renderNotice(regime, props()).text).not.toContain('child sexual abuse')
  })
})

describe.each(REGIMES)('%s: escaping and what is never said', (regime) => {
  const hostile = `</blockquote><script>alert("x")</script><img src=x onerror='steal()'> & more`

  it("escapes the caseworker's explanation in the HTML and keeps it verbatim in the text", () => {
    const r = renderNotice(regime, props({ explanation: `First line\n${hostile}` }))
    expect(r.text).toContain(`> First line\n> ${hostile}`)
    expect(r.html).not.toContain('<script>')
    expect(r.html).not.toContain('<img')
    expect(r.html).not.toContain("onerror='")
    expect(r.html).toContain(
      'First line<br>&lt;/blockquote&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=&#39;steal()&#39;&gt; &amp; more',
    )
    // Exactly the blockquote the template opened: the explanation cannot close it early.
    expect(r.html.match(/<\/blockquote>/g)).toHaveLength(1)
  })

  it('escapes other values too, and never links a web address that is not http(s)', () => {
    const r = renderNotice(
      regime,
      props({
        providerName: 'Evil <b>Corp</b>',
        urls: ['https://pics.example/a?q="><script>x()</script>', 'javascript:alert(1)'],
        organisation: { ...ORG, name: 'Help & <Hope>' },
      }),
    )
    expect(r.html).not.toMatch(/<script>|<b>/)
    expect(r.html).toContain('Evil &lt;b&gt;Corp&lt;/b&gt;')
    expect(r.html).toContain('<a href="https://pics.example/a?q=&quot;&gt;&lt;script&gt;x()&lt;/script&gt;">')
    expect(r.html).not.toContain('href="javascript:')
    expect(r.html).toContain('<li>javascript:alert(1)</li>')
    expect(r.html).toContain('<title>')
  })

  it('leaves out an empty explanation', () => {
    for (const explanation of [null, '', '   \n ']) {
      const r = renderNotice(regime, props({ explanation }))
      expect(r.text).not.toMatch(/Relevant information:|Further facts:/)
      expect(r.html).not.toContain('<blockquote')
    }
  })

  it("never includes the survivor's case number or contact address, even if passed in by mistake", () => {
    const caseNumber = formatCaseNumber(newCaseNumber())
    const contact = 'survivor.private@mail.example'
    // There is no prop for either; a caller spreading a case row into the props must not leak them.
    const leaky = { ...props(), caseNumber, case_number: caseNumber.replace('-', ''), contactEmail: contact, contact } as unknown as NoticeProps
    for (const csam of [false, true]) {
      const r = renderNotice(regime, { ...leaky, childSexualAbuseMaterial: csam, signatory: PERSON })
      for (const body of [r.subject, r.text, r.html]) {
        expect(body).not.toContain(caseNumber)
        expect(body).not.toContain(caseNumber.replace('-', ''))
        expect(body).not.toContain(contact)
      }
    }
  })
})
