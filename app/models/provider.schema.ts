/**
 * A service provider as staff enter it: its name, the registrable domains it
 * answers for, where notices go, which law the notices cite, and whether it
 * takes the hash list. Client-safe: the same schema checks the form in the
 * browser and the input on the server. Messages are for staff: plain, and
 * naming what is wrong.
 */
import { parse } from 'tldts'
import { z } from 'zod'
import type { Regime } from '../../db/schema'
import { EmailSchema } from './staff.schema'

export const REGIMES = ['takeitdown', 'dmca', 'dsa', 'generic'] as const satisfies readonly Regime[]
export const MAX_PROVIDER_NAME = 120
export const MAX_DOMAINS = 50
export const MAX_NOTICE_EMAILS = 10
/**
 * Addresses on this reserved top-level domain (RFC 2606) can never receive
 * mail: the seed directory uses them, and a provider holding one is marked as
 * a placeholder until someone enters its real address.
 */
export const PLACEHOLDER_TLD = '.invalid'

/** Characters that break a line in some software (CR, LF, NEL, LS, PS): in an address they would let a header be injected. */
const LINE_BREAK = /[\r\n\u0085\u2028\u2029]/
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/
/** What a URL has and a bare domain does not: a scheme, port, path, query, fragment, login, or spaces. */
const NOT_BARE = /[\s/\\:?#@%]/

const quote = (s: string) => JSON.stringify(s)

/** Why `raw` cannot be stored as a provider's domain, or its canonical form (lower-case ASCII). */
function checkDomain(raw: string): { domain: string } | { problem: string } {
  const bare = `Enter a domain name only, like example.com: ${quote(raw)} has a scheme, port, path or space in it.`
  if (NOT_BARE.test(raw)) return { problem: bare }
  // The URL parser turns an international name into the punycode that
  // case_location.host holds (bücher.de -> xn--bcher-kva.de), and lower-cases it.
  let host: string
  try {
    host = new URL(`http://${raw}`).hostname
  } catch {
    return { problem: `${quote(raw)} is not a valid domain name.` }
  }
  // A fully qualified name may end in a dot; it names the same domain.
  host = host.replace(/\.$/, '')
  const parsed = parse(host)
  // Checked after the URL parser, which also reads "1.2.3" and "0x7f.1" as IPv4 addresses.
  if (parsed.isIp || /^[0-9.]+$/.test(raw)) {
    return { problem: `${quote(raw)} is an IP address. Enter the provider's domain name, like example.com.` }
  }
  if (!/^[a-z0-9.-]+$/.test(host) || !parsed.hostname) {
    return { problem: `${quote(raw)} has characters a domain name cannot have. Use letters, digits, hyphens and dots.` }
  }
  if (!parsed.domain && parsed.isIcann === true) {
    return {
      problem: `${quote(raw)} is a public suffix (like com or co.uk), which no one owns. Enter a domain under it, like example.${host}.`,
    }
  }
  // Unknown endings (a typo such as facebook.con, or localhost) are refused:
  // the case flow only ever looks up domains under the ICANN public suffixes.
  if (!parsed.domain || parsed.isIcann !== true) {
    return { problem: `${quote(raw)} does not end in a known top-level domain such as .com or .co.uk. Check the spelling.` }
  }
  if (parsed.domain !== host) {
    return {
      problem: `${quote(raw)} is a subdomain. Enter the registrable domain ${parsed.domain} instead: it covers all of its subdomains.`,
    }
  }
  return { domain: host }
}

/**
 * One registrable domain, such as example.com or example.co.uk, stored
 * lower-case ASCII: the form the case flow looks up (tldts getDomain of a
 * reported web address's host).
 */
export const DomainSchema = z
  .string({ error: 'Enter a domain name, like example.com.' })
  .trim()
  .min(1, 'Enter a domain name, like example.com.')
  .max(253, 'A domain name is at most 253 characters.')
  .transform((raw, ctx) => {
    const result = checkDomain(raw)
    if ('domain' in result) return result.domain
    ctx.addIssue({ code: 'custom', message: result.problem })
    return z.NEVER
  })

/** One address that receives notices, on one line, lower-cased. */
export const NoticeEmailSchema = z
  .string({ error: 'Enter an email address.' })
  // Before EmailSchema, whose trim would quietly remove a trailing line break.
  .refine((s) => !LINE_BREAK.test(s), 'An email address must be on one line. Take out the line break.')
  .pipe(EmailSchema)

const unique = <T>(items: T[]) => [...new Set(items)]

export const ProviderSchema = z.object({
  name: z
    .string({ error: "Enter the provider's name." })
    .trim()
    .min(1, "Enter the provider's name.")
    .max(MAX_PROVIDER_NAME, `A name can be at most ${MAX_PROVIDER_NAME} characters.`)
    .refine((s) => !CONTROL.test(s), 'Write the name on one line, without tabs or other control characters.'),
  domains: z
    .array(DomainSchema, { error: 'Add at least one domain, like example.com.' })
    .min(1, 'Add at least one domain, like example.com.')
    .max(MAX_DOMAINS, `A provider can have at most ${MAX_DOMAINS} domains.`)
    .transform(unique),
  noticeEmails: z
    .array(NoticeEmailSchema, { error: 'Add at least one email address that receives notices.' })
    .min(1, 'Add at least one email address that receives notices.')
    .max(MAX_NOTICE_EMAILS, `A provider can have at most ${MAX_NOTICE_EMAILS} notice addresses.`)
    .transform(unique),
  regime: z.enum(REGIMES, { error: `Choose the law notices cite: ${REGIMES.join(', ')}.` }).default('generic'),
  hashList: z.boolean({ error: 'Say whether the provider takes the hash list: true or false.' }).default(false),
})
export type ProviderInput = z.input<typeof ProviderSchema>
export type ProviderData = z.output<typeof ProviderSchema>

/** True when any of the addresses can never receive mail (see PLACEHOLDER_TLD). */
export function hasPlaceholderAddress(noticeEmails: readonly string[]): boolean {
  return noticeEmails.some((e) => e.endsWith(PLACEHOLDER_TLD))
}
