/**
 * The "I lost my secret" email. Someone else may read this inbox, perhaps the
 * person who shared the images, so it names no case number, says nothing about
 * images or abuse, and reads like any sign-in link.
 */
export interface CaseRecoveryProps {
  /** The one-time link, `${PUBLIC_URL}/recover?token=...`. */
  link: string
  minutesValid: number
  language: 'en' | 'es'
}

export interface RenderedEmail {
  subject: string
  text: string
  html: string
}

interface Words {
  subject: string
  greeting: string
  why: string
  action: string
  button: string
  expiry: (minutes: number) => string
  notYou: string
  privacy: string
  signOff: string
}

const WORDS: Record<CaseRecoveryProps['language'], Words> = {
  en: {
    subject: 'Your Takeback link',
    greeting: 'Hello,',
    why: 'Someone asked for a new secret code on Takeback and gave this email address.',
    action: 'If that was you, open this link to get your new code:',
    button: 'Get my new code',
    expiry: (m) => `The link works once, for ${m} minutes. After that, you can ask for a new one.`,
    notYou: 'If it was not you, you do not need to do anything. Your old code still works.',
    privacy: 'If other people can read this inbox, you may want to delete this email when you are done.',
    signOff: 'Takeback',
  },
  es: {
    subject: 'Tu enlace de Takeback',
    greeting: 'Hola:',
    why: 'Alguien pidió un código secreto nuevo en Takeback y dio esta dirección de correo.',
    action: 'Si fuiste tú, abre este enlace para recibir tu código nuevo:',
    button: 'Recibir mi código nuevo',
    expiry: (m) => `El enlace funciona una sola vez, durante ${m} minutos. Después puedes pedir otro.`,
    notYou: 'Si no fuiste tú, no tienes que hacer nada. Tu código anterior sigue funcionando.',
    privacy: 'Si otras personas pueden leer este correo, quizá quieras borrar este mensaje cuando termines.',
    signOff: 'Takeback',
  },
}

function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
}

/** Subject, plain text and HTML of the recovery email, in the survivor's language. */
export function caseRecoveryEmail({ link, minutesValid, language }: CaseRecoveryProps): RenderedEmail {
  const w = WORDS[language]
  const expiry = w.expiry(minutesValid)
  const text = [w.greeting, '', w.why, '', w.action, '', link, '', expiry, '', w.notYou, '', w.privacy, '', w.signOff, ''].join('\n')
  const p = (s: string) => `<p>${escapeHtml(s)}</p>`
  const html = [
    `<!doctype html><html lang="${language}"><head><meta charset="utf-8"><title>${escapeHtml(w.subject)}</title></head>`,
    '<body style="font-family: sans-serif; font-size: 16px; line-height: 1.5; color: #1a1a1a;">',
    p(w.greeting),
    p(w.why),
    p(w.action),
    `<p><a href="${escapeHtml(link)}" style="display: inline-block; padding: 12px 20px; background: #1d4ed8; color: #ffffff; text-decoration: none; border-radius: 6px;">${escapeHtml(w.button)}</a></p>`,
    `<p style="word-break: break-all; font-size: 14px;">${escapeHtml(link)}</p>`,
    p(expiry),
    p(w.notYou),
    p(w.privacy),
    p(w.signOff),
    '</body></html>',
  ].join('\n')
  return { subject: w.subject, text, html }
}
