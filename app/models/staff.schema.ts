import { z } from 'zod'

// Client-safe: the same schema checks the form in the browser and the action on the server.
export const PASSWORD_MIN = 12
export const PASSWORD_MAX = 128

export const EmailSchema = z
  .string({ error: 'Enter an email address.' })
  .trim()
  .min(1, 'Enter an email address.')
  .max(254, 'An email address is at most 254 characters.')
  // RFC 5321's limit: mail servers refuse a longer local part, so such an address could never be reached.
  .refine((s) => s.split('@')[0]!.length <= 64, 'The part before the @ can be at most 64 characters.')
  .pipe(z.email({ error: 'Enter an email address like name@example.org.' }))
  .transform((s) => s.toLowerCase())

export const PasswordSchema = z
  .string({ error: 'Choose a password.' })
  .min(PASSWORD_MIN, `Use at least ${PASSWORD_MIN} characters.`)
  .max(PASSWORD_MAX, `Use at most ${PASSWORD_MAX} characters.`)

export const SetupSchema = z
  .object({
    token: z.string({ error: 'This set-up link is incomplete.' }).min(1),
    email: EmailSchema,
    password: PasswordSchema,
    confirm: z.string({ error: 'Type the password again.' }),
  })
  .refine((v) => v.password === v.confirm, { path: ['confirm'], message: 'The two passwords are not the same.' })
