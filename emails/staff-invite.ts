/**
 * The invitation to a staff account. It goes to a work address, so unlike the
 * survivor emails it may say what Takeback is; it still names no case.
 */
import type { RenderedEmail } from './case-recovery'

export interface StaffInviteProps {
  /** The one-time link, `${PUBLIC_URL}/staff/invite/accept?token=...`. */
  link: string
  role: 'caseworker' | 'admin'
  /** The inviting administrator's address, so the person knows whom to ask. */
  invitedBy?: string | null
  /** How long the link works. */
  hoursValid: number
  language: 'en' | 'es'
}

interface Words {
  subject: string
  greeting: string
  invited: (role: string, by: string | null) => string
  roles: Record<StaffInviteProps['role'], string>
  action: string
  button: string
  expiry: (hours: number) => string
  secondFactor: string
  notExpected: string
  signOff: string
}

const WORDS: Record<StaffInviteProps['language'], Words> = {
  en: {
    subject: 'Your invitation to Takeback',
    greeting: 'Hello,',
    invited: (role, by) => (by ? `${by} has invited you to join Takeback as ${role}.` : `You have been invited to join Takeback as ${role}.`),
    roles: { caseworker: 'a caseworker', admin: 'an administrator' },
    action: 'Open this link to choose your password and create your account:',
    button: 'Create my account',
    expiry: (h) => `The link works once, for ${h} hours. After that, ask for a new invitation.`,
    secondFactor: 'When you first sign in you will set up a second factor with an authenticator app, so have one ready on your phone.',
    notExpected: 'If you did not expect this invitation, you can ignore this email; no account is made until the link is used.',
    signOff: 'Takeback',
  },
  es: {
    subject: 'Tu invitación a Takeback',
    greeting: 'Hola:',
    invited: (role, by) => (by ? `${by} te ha invitado a unirte a Takeback como ${role}.` : `Te han invitado a unirte a Takeback como ${role}.`),
    roles: { caseworker: 'persona gestora de casos', admin: 'persona administradora' },
    action: 'Abre este enlace para elegir tu contraseña y crear tu cuenta:',
    button: 'Crear mi cuenta',
    expiry: (h) => `El enlace funciona una sola vez, durante ${h} horas. Después, pide una invitación nueva.`,
    secondFactor:
      'La primera vez que inicies sesión configurarás un segundo factor con una aplicación de autenticación, así que tenla preparada en tu teléfono.',
    notExpected: 'Si no esperabas esta invitación, puedes ignorar este correo: no se crea ninguna cuenta hasta que se usa el enlace.',
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

/** Subject, plain text and HTML of a staff invitation, in the language the administrator chose. */
export function staffInviteEmail({ link, role, invitedBy, hoursValid, language }: StaffInviteProps): RenderedEmail {
  const w = WORDS[language]
  const invited = w.invited(w.roles[role], invitedBy?.trim() || null)
  const expiry = w.expiry(hoursValid)
  const text = [w.greeting, '', invited, '', w.action, '', link, '', expiry, '', w.secondFactor, '', w.notExpected, '', w.signOff, ''].join('\n')
  const p = (s: string) => `<p>${escapeHtml(s)}</p>`
  const html = [
    `<!doctype html><html lang="${language}"><head><meta charset="utf-8"><title>${escapeHtml(w.subject)}</title></head>`,
    '<body style="font-family: sans-serif; font-size: 16px; line-height: 1.5; color: #1a1a1a;">',
    p(w.greeting),
    p(invited),
    p(w.action),
    `<p><a href="${escapeHtml(link)}" style="display: inline-block; padding: 12px 20px; background: #1d4ed8; color: #ffffff; text-decoration: none; border-radius: 6px;">${escapeHtml(w.button)}</a></p>`,
    `<p style="word-break: break-all; font-size: 14px;">${escapeHtml(link)}</p>`,
    p(expiry),
    p(w.secondFactor),
    p(w.notExpected),
    p(w.signOff),
    '</body></html>',
  ].join('\n')
  return { subject: w.subject, text, html }
}
