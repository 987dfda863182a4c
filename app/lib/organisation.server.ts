/**
 * The organisation that sends removal notices and is their contact: ORG_NAME,
 * ORG_EMAIL, ORG_ADDRESS, ORG_PHONE and ORG_WEBSITE (to move into
 * env.server.ts with the rest of the environment).
 *
 * Every variable has an example default so that a first run works without
 * setup; the defaults say "example" in plain sight and use reserved example
 * domains, so a notice sent with them is obviously not from a real
 * organisation and its email address bounces. isExampleOrganisation() lets a
 * page warn before anyone sends one.
 */
import { z } from 'zod'
import type { Organisation } from '../../emails/notice'
import { EnvError, getEnv } from './env.server'

export type { Organisation }

export const EXAMPLE_ORGANISATION = {
  name: 'Takeback (example organisation)',
  email: 'notices@example.org',
  postalAddress: '1 Example Street, Example City (example address)',
} as const

// eslint-disable-next-line no-control-regex
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v)
const oneLine = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => !CONTROL.test(s), 'must be one line, with no control characters')

const OrganisationEnvSchema = z.object({
  ORG_NAME: z.preprocess(blankToUndefined, oneLine(200).default(EXAMPLE_ORGANISATION.name)),
  ORG_EMAIL: z.preprocess(blankToUndefined, z.email('must be one email address, e.g. notices@your-organisation.org').default(EXAMPLE_ORGANISATION.email)),
  // Shell variables cannot easily hold line breaks, so "\n" written out
  // also starts a new line of the address.
  ORG_ADDRESS: z.preprocess(
    blankToUndefined,
    z
      .string()
      .transform((s) => s.replace(/\\n/g, '\n').trim())
      .pipe(z.string().min(1).max(500).refine((s) => !CONTROL_BUT_NEWLINE.test(s), 'must hold no control characters'))
      .default(EXAMPLE_ORGANISATION.postalAddress),
  ),
  ORG_PHONE: z.preprocess(
    blankToUndefined,
    z
      .string()
      .trim()
      .regex(/^\+?[0-9][0-9 ().-]{4,29}$/, 'must be a telephone number, e.g. +44 20 7946 0000')
      .optional(),
  ),
  ORG_WEBSITE: z.preprocess(blankToUndefined, z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }).optional()),
})

/**
 * The organisation from the environment (process.env unless `source` is
 * given). ORG_WEBSITE defaults to PUBLIC_URL. Throws EnvError with one line
 * per bad value.
 */
export function organisationFromEnv(source: Record<string, string | undefined> = process.env): Organisation {
  const parsed = OrganisationEnvSchema.safeParse(source)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`)
    throw new EnvError(`Takeback cannot start: the environment has bad values.\n${lines.join('\n')}`)
  }
  const e = parsed.data
  return {
    name: e.ORG_NAME,
    email: e.ORG_EMAIL.toLowerCase(),
    postalAddress: e.ORG_ADDRESS,
    phone: e.ORG_PHONE ?? null,
    website: e.ORG_WEBSITE ?? getEnv().PUBLIC_URL,
  }
}

/** True while any of name, email or address is still the example value: not fit for real notices. */
export function isExampleOrganisation(org: Organisation): boolean {
  return org.name === EXAMPLE_ORGANISATION.name || org.email === EXAMPLE_ORGANISATION.email || org.postalAddress === EXAMPLE_ORGANISATION.postalAddress
}
