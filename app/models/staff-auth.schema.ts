import { z } from 'zod'
import { EmailSchema, PASSWORD_MAX, PasswordSchema } from './staff.schema'

// Client-safe: each schema checks its form in the browser and its action on
// the server. Messages that start with `staff.` are keys under `staff` in
// app/locales; the others come from staff.schema.ts and are translated through
// the `validation` namespace (see app/components/staff.tsx, useStaffMessage).

export const STAFF_ROLES = ['caseworker', 'admin'] as const
export const INVITE_LANGUAGES = ['en', 'es'] as const

export const StaffSignInSchema = z.object({
  email: EmailSchema,
  // Only the length is checked here: a password that is too long is refused
  // before argon2 sees it, and nothing else about it is worth saying.
  password: z
    .string({ error: 'staff.errors.passwordRequired' })
    .min(1, 'staff.errors.passwordRequired')
    .max(PASSWORD_MAX, `Use at most ${PASSWORD_MAX} characters.`),
})

/** Six digits; spaces are allowed, as apps show the code as "123 456". */
export const TotpCodeSchema = z.object({
  code: z
    .string({ error: 'staff.errors.codeRequired' })
    .transform((s) => s.replace(/\s+/g, ''))
    .pipe(z.string().min(1, 'staff.errors.codeRequired').regex(/^\d{6}$/, 'staff.errors.codeFormat')),
})

export const InviteStaffSchema = z.object({
  intent: z.literal('invite'),
  email: EmailSchema,
  role: z.enum(STAFF_ROLES, { error: 'staff.errors.roleRequired' }),
  language: z.enum(INVITE_LANGUAGES, { error: 'staff.errors.languageRequired' }),
})

/** One button per account on the staff page: disable, enable, reset the second factor. */
export const StaffAccountActionSchema = z.object({
  intent: z.enum(['disable', 'enable', 'reset-totp']),
  staffId: z.string().min(1).max(64),
})

export const AcceptInviteSchema = z
  .object({
    token: z.string({ error: 'staff.errors.linkIncomplete' }).min(1, 'staff.errors.linkIncomplete'),
    password: PasswordSchema,
    confirm: z.string({ error: 'Type the password again.' }),
  })
  .refine((v) => v.password === v.confirm, { path: ['confirm'], message: 'The two passwords are not the same.' })
