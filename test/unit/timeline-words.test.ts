/**
 * The case page's timeline words every kind of event the models write into
 * notice_event, in English and Spanish, instead of the stored kind and actor
 * ("drafted (staff)"). The raw kind stays in the page only as data-kind.
 */
import { createInstance } from 'i18next'
import { createElement } from 'react'
import { renderToStaticMarkup } from 'react-dom/server'
import { I18nextProvider, initReactI18next } from 'react-i18next'
import { describe, expect, it } from 'vitest'
import { i18nOptions } from '../../app/i18n'
import en from '../../app/locales/en/timeline'
import es from '../../app/locales/es/timeline'
import { TimelineEventWords } from '../../app/routes/staff.cases.$caseId'

/** Every kind written today: notice.server, notice-followup.server, deadline.server, notice-answer.server, hash-reputation.server, case.server. */
const KINDS = [
  'drafted',
  'sent',
  'sent_again',
  'escalated',
  'ftc_packet_opened',
  'reminder_sent',
  'reminder_not_sent',
  'overdue',
  'acknowledged',
  'removed',
  'not_found',
  'declined',
  'not_ours',
  'link_requested',
  'hash_review_requested',
  'hash_disabled',
  'hash_kept',
  'hash_enabled',
  'closed',
]

async function words(kind: string, detail: Record<string, unknown> | null = null, lng = 'en'): Promise<string> {
  const i18n = createInstance()
  await i18n.use(initReactI18next).init({ ...i18nOptions, lng })
  const html = renderToStaticMarkup(createElement(I18nextProvider, { i18n }, createElement(TimelineEventWords, { kind, detail })))
  return html.replace(/<[^>]+>/g, '')
}

describe('timeline words', () => {
  it('has an English and a Spanish sentence for every kind of event, and no others', () => {
    expect(Object.keys(en.event).sort()).toEqual([...KINDS].sort())
    for (const kind of KINDS) {
      expect(es.event[kind as keyof typeof es.event], kind).not.toBe(en.event[kind as keyof typeof en.event])
    }
  })

  it('renders each kind as its sentence, never as the stored kind', async () => {
    for (const kind of KINDS) {
      const english = await words(kind)
      expect(english, kind).toBe(en.event[kind as keyof typeof en.event])
      expect(english, kind).not.toMatch(/_|timeline\.|\((staff|provider|system|survivor)\)/)
      expect(await words(kind, null, 'es'), kind).toBe(es.event[kind as keyof typeof es.event])
    }
    expect(await words('drafted')).toBe('Notice drafted by a caseworker')
    expect(await words('sent', null, 'es')).toBe('Aviso enviado por el equipo')
  })

  it('adds our own reasons and the kind of hash, but never a reason a provider typed', async () => {
    expect(await words('reminder_not_sent', { reason: 'no_usable_address' })).toBe('Reminder not sent: the provider has no address that can receive it.')
    expect(await words('closed', { reason: 'case_deleted', from: 'sent' }, 'es')).toBe('Aviso cerrado: la víctima borró el caso.')
    expect(await words('hash_disabled', { hashId: 'x', kind: 'pdq', via: 'switch' })).toBe('Hash switched off by a caseworker · PDQ')
    expect(await words('declined', { reason: 'case_deleted' })).toBe('Provider declined')
    expect(await words('reminder_not_sent', { reason: 'something_new' })).toBe('Reminder not sent')
  })

  it('still reads a kind it has no words for as words', async () => {
    expect(await words('notice_split')).toBe('notice split')
  })
})
