/**
 * Removal notices to service providers, one template per legal regime
 * (notice-takeitdown.ts, notice-dmca.ts, notice-dsa.ts, notice-generic.ts),
 * and what they share: the props, the pieces every notice says the same way,
 * and one renderer that turns a list of blocks into both plain text and
 * HTML, so the two parts of an email can never say different things.
 *
 * Pure functions of typed props: no database, no environment, no network.
 * There is deliberately no prop for the survivor's case number or contact
 * address: the notice id is the reference, and the organisation is the
 * contact, so a provider (or whoever reads its inbox) learns neither.
 *
 * The templates import helpers from this file and renderNotice imports the
 * templates. The cycle is safe because nothing here runs at import time:
 * every cross-module use happens inside a function call.
 */
import type { Regime } from '../db/schema'
import { dmcaNotice } from './notice-dmca'
import { dsaNotice } from './notice-dsa'
import { genericNotice } from './notice-generic'
import { takeItDownNotice } from './notice-takeitdown'

/** The organisation that sends notices and is the contact for them. */
export interface Organisation {
  name: string
  email: string
  /** May span several lines. */
  postalAddress: string
  phone?: string | null
  website: string
}

/**
 * Who signs. A person signs only when the survivor typed a full name to have
 * notices sent in it (`self`: the person depicted; `on_behalf`: someone
 * helping them, e.g. a parent); otherwise the organisation signs as the
 * authorised representative.
 */
export type Signatory = { kind: 'person'; fullName: string; capacity: 'self' | 'on_behalf' } | { kind: 'organisation' }

export interface NoticeProps {
  /** The notice id: the only reference a provider sees. Never the survivor's case number. */
  reference: string
  providerName: string
  /** Where the material is, exactly as reported. */
  urls: readonly string[]
  organisation: Organisation
  signatory: Signatory
  /** The person depicted was under 18 (requester `self_minor`). */
  childSexualAbuseMaterial: boolean
  /** The caseworker's free text; plain text, escaped in the HTML. */
  explanation: string | null
  /** Where the provider tells us what it did: the notice's signed answer link. */
  responseUrl: string
  /** Epoch milliseconds. */
  sentAt: number
  /** Epoch milliseconds. */
  deadlineAt: number
}

export interface RenderedNotice {
  subject: string
  text: string
  html: string
}

/** Render the notice for `regime`. */
export function renderNotice(regime: Regime, props: NoticeProps): RenderedNotice {
  switch (regime) {
    case 'takeitdown':
      return takeItDownNotice(props)
    case 'dmca':
      return dmcaNotice(props)
    case 'dsa':
      return dsaNotice(props)
    case 'generic':
      return genericNotice(props)
  }
}

// ---------------------------------------------------------------------------
// Blocks: what a notice is made of, rendered once as text and once as HTML

export type Block =
  | { type: 'paragraph'; text: string }
  | { type: 'heading'; text: string }
  /** Web addresses, numbered; http(s) ones become links in the HTML. */
  | { type: 'urls'; urls: readonly string[] }
  /** One web address on its own line. */
  | { type: 'link'; url: string }
  /** Free text from a person: line breaks kept, never interpreted as markup. */
  | { type: 'quote'; text: string }
  /** Label and value rows; a value may span lines. */
  | { type: 'fields'; rows: ReadonlyArray<readonly [string, string]> }

export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
}

/** Line breaks of any kind become \n, so text and HTML break in the same places. */
function normaliseLines(value: string): string {
  return value.replace(/\r\n?|[\u0085\u2028\u2029]/g, '\n')
}

function textOf(block: Block): string {
  switch (block.type) {
    case 'paragraph':
      return block.text
    case 'heading':
      return `${block.text}\n${'-'.repeat(Math.min(block.text.length, 72))}`
    case 'urls':
      return block.urls.map((url, i) => `${i + 1}. ${url}`).join('\n')
    case 'link':
      return block.url
    case 'quote':
      return normaliseLines(block.text)
        .split('\n')
        .map((line) => `> ${line}`.trimEnd())
        .join('\n')
    case 'fields':
      return block.rows.map(([label, value]) => `${label}: ${normaliseLines(value).split('\n').join('\n    ')}`).join('\n')
  }
}

/** A web address as a link; anything else as text, since it could run script or open a program when clicked. */
function linkHtml(url: string): string {
  const shown = escapeHtml(url)
  return /^https?:\/\//i.test(url) ? `<a href="${shown}">${shown}</a>` : shown
}

const multiline = (value: string) => normaliseLines(value).split('\n').map(escapeHtml).join('<br>')

function htmlOf(block: Block): string {
  switch (block.type) {
    case 'paragraph':
      return `<p>${escapeHtml(block.text)}</p>`
    case 'heading':
      return `<h2 style="font-size: 18px; margin: 24px 0 8px;">${escapeHtml(block.text)}</h2>`
    case 'urls':
      return `<ol style="word-break: break-all;">\n${block.urls.map((url) => `<li>${linkHtml(url)}</li>`).join('\n')}\n</ol>`
    case 'link':
      return `<p style="word-break: break-all;">${linkHtml(block.url)}</p>`
    case 'quote':
      return `<blockquote style="margin: 0 0 16px; padding: 8px 12px; border-left: 4px solid #999;">${multiline(block.text)}</blockquote>`
    case 'fields': {
      const rows = block.rows.map(
        ([label, value]) =>
          `<tr><th scope="row" style="text-align: left; vertical-align: top; padding: 2px 16px 2px 0;">${escapeHtml(label)}</th><td style="padding: 2px 0;">${multiline(value)}</td></tr>`,
      )
      return `<table role="presentation" style="border-collapse: collapse; margin: 0 0 16px;">\n${rows.join('\n')}\n</table>`
    }
  }
}

/** The plain-text and HTML bodies of one document made of `blocks`. */
export function renderBlocks(subject: string, blocks: readonly Block[]): RenderedNotice {
  const text = blocks.map(textOf).join('\n\n') + '\n'
  const html = [
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>`,
    '<body style="font-family: sans-serif; font-size: 16px; line-height: 1.5; color: #1a1a1a; max-width: 720px;">',
    ...blocks.map(htmlOf),
    '</body></html>',
  ].join('\n')
  return { subject, text, html }
}

// ---------------------------------------------------------------------------
// Pieces every notice shares

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']

/**
 * "1 December 2026, 14:05 UTC". Built by hand rather than with Intl, whose
 * output changes between ICU versions: a legal deadline must read the same
 * on every server.
 */
export function formatUtc(ms: number): string {
  const d = new Date(ms)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}, ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`
}

/** "1 address" / "3 addresses". */
export function plural(n: number, one: string, many: string): string {
  return n === 1 ? one : many
}

/** First-person words for whoever signs: a person writes "I", the organisation "we" (`iam` is for mid-sentence). */
export function voice(signatory: Signatory) {
  return signatory.kind === 'person'
    ? { I: 'I', my: 'my', Ihave: 'I have', iam: 'I am' }
    : { I: 'We', my: 'our', Ihave: 'We have', iam: 'we are' }
}

/** Reference and date sent, at the top of every notice. */
export function headerFields(props: NoticeProps): Block {
  return {
    type: 'fields',
    rows: [
      ['Reference', props.reference],
      ['Date sent', formatUtc(props.sentAt)],
    ],
  }
}

export function greeting(props: NoticeProps): Block {
  return { type: 'paragraph', text: `To ${props.providerName},` }
}

/** Who makes the request and for whom, in one sentence. */
export function senderSentence(props: NoticeProps): string {
  const { signatory, organisation } = props
  if (signatory.kind === 'organisation') {
    return `${organisation.name} sends this notice as the authorised representative of the person depicted, at that person's request.`
  }
  if (signatory.capacity === 'self') {
    return `I am the person depicted. ${organisation.name} sends this notice for me and is my contact for it.`
  }
  return `I make this request on behalf of the person depicted. ${organisation.name} sends it for us and is our contact for it.`
}

/** The addresses, with the statement that they are enough to find the material. */
export function locationBlocks(props: NoticeProps, what: string): Block[] {
  const n = props.urls.length
  return [
    {
      type: 'paragraph',
      text:
        `The ${what} can be found at the following ${plural(n, 'web address', `${n} web addresses`)} on your service. ` +
        'Each address is the exact location of the material; this information is reasonably sufficient for you to locate it.',
    },
    { type: 'urls', urls: props.urls },
  ]
}

/** The caseworker's explanation, if any, under a label; never markup. */
export function explanationBlocks(props: NoticeProps, label = 'Relevant information'): Block[] {
  const text = props.explanation?.trim()
  if (!text) return []
  return [
    { type: 'paragraph', text: `${label}:` },
    { type: 'quote', text },
  ]
}

/** Said in every notice about material showing a child (not the DSA's, which says it in its own terms). */
export function childAbuseBlock(props: NoticeProps): Block[] {
  if (!props.childSexualAbuseMaterial) return []
  return [
    {
      type: 'paragraph',
      text:
        'The person depicted was under 18 when this material was made: it is child sexual abuse material. ' +
        'Please remove it at once and report it as the law requires of you (for providers in the United States, ' +
        "to NCMEC's CyberTipline under 18 U.S.C. 2258A).",
    },
  ]
}

/** What we never want back: images, or contact with the person depicted. */
export function careBlock(): Block {
  return {
    type: 'paragraph',
    text: 'Please write only to us, not to the person depicted, and do not send us copies of the material: the web addresses above are all you need.',
  }
}

/** The organisation's contact details, for the provider and for the law's "contact information". */
export function contactBlocks(props: NoticeProps, heading = 'Contact information'): Block[] {
  const o = props.organisation
  const rows: Array<readonly [string, string]> = [
    ['Organisation', o.name],
    ['Postal address', o.postalAddress],
    ['Email', o.email],
  ]
  if (o.phone) rows.push(['Telephone', o.phone])
  rows.push(['Website', o.website])
  return [
    { type: 'heading', text: heading },
    { type: 'paragraph', text: `Please send everything about this notice to ${o.name}, which acts for the person depicted:` },
    { type: 'fields', rows },
  ]
}

/**
 * What the answer link does, said under it: mail filters open links, and a
 * provider should know that doing so records nothing.
 */
export function answerLinkBlock(): Block {
  return {
    type: 'paragraph',
    text:
      'Opening the page only shows this notice and what has been recorded so far. Nothing is recorded until you press one of its buttons: ' +
      'received, removed (from all or some addresses), not found, declined (with your reason), or not yours (with who to contact instead). ' +
      'The link is for your team: anyone who has it can answer this notice.',
  }
}

/** Where and how the provider answers. `alsoByEmail` adds the organisation's address. */
export function responseBlocks(props: NoticeProps, alsoByEmail: boolean): Block[] {
  const email = alsoByEmail ? `, or by email to ${props.organisation.email}` : ''
  return [
    { type: 'heading', text: 'Your answer' },
    {
      type: 'paragraph',
      text: `Please tell us what you did, quoting reference ${props.reference}, at this page${email}:`,
    },
    { type: 'link', url: props.responseUrl },
    answerLinkBlock(),
  ]
}

/** The electronic signature: the survivor's typed name, or the organisation as representative. */
export function signatureBlocks(props: NoticeProps): Block[] {
  const { signatory, organisation } = props
  const rows: Array<readonly [string, string]> =
    signatory.kind === 'person'
      ? [
          ['Electronic signature', `/s/ ${signatory.fullName}`],
          ['Signing as', signatory.capacity === 'self' ? 'The person depicted' : 'On behalf of the person depicted'],
          ['Represented by', organisation.name],
        ]
      : [
          ['Electronic signature', `/s/ ${organisation.name}`],
          ['Signing as', 'Authorised representative of the person depicted'],
        ]
  rows.push(['Date', formatUtc(props.sentAt)])
  return [{ type: 'heading', text: 'Signature' }, { type: 'fields', rows }]
}

/** " – child sexual abuse material" for subjects, so a provider can triage it first. */
export function subjectSuffix(props: NoticeProps): string {
  return `${props.childSexualAbuseMaterial ? ' – child sexual abuse material' : ''} – reference ${props.reference}`
}
