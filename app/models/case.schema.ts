/**
 * What a survivor sends: the request form, sign-in, recovery and the changes
 * they can make later. Client-safe: the same schemas check the form in the
 * browser and the input on the server. Messages are for a frightened reader,
 * maybe 12 years old: short, plain, and saying what to do.
 */
import { z } from 'zod'
import { EMPTY_MD5, EMPTY_SHA256 } from '../hashing/digest'
import { EmailSchema } from './staff.schema'

export const MAX_FILES_PER_REQUEST = 100
/** Every stored value counts: 3 per picture, 2 plus one per sampled frame per video. */
export const MAX_HASH_VALUES_PER_REQUEST = 2000
export const MAX_URLS_PER_REQUEST = 50
export const MAX_URL_LENGTH = 2048
export const MAX_SIGNATURE_LENGTH = 200
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_-]{16,128}$/
export const REQUESTERS = ['self_minor', 'self_adult', 'helper'] as const
export const LANGUAGES = ['en', 'es'] as const
export const CASE_NUMBER_EXAMPLE = 'ABCD-2345'
export const CASE_SECRET_EXAMPLE = 'ABCD-2345-EFGH-6789'

/** A PDQ hash of an image with no detail at all (one flat colour): matches nothing useful. */
export const PDQ_ALL_ZERO = '0'.repeat(64)
export const PDQ_ALL_ONES = 'f'.repeat(64)

/** Characters that break a line in some software: CR, LF, NEL, LS, PS. */
const LINE_BREAK = /[\r\n\u0085\u2028\u2029]/
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/

const MSG = {
  broken: (name: string, length: number) =>
    `This file's ${name} code is broken. It should be ${length} characters, each 0-9 or a-f. Try adding the file again.`,
  flatPicture: 'This picture is all one colour, so it cannot be used to find copies. Choose another picture.',
  emptyFile: 'This file is empty. Choose another file.',
  quality: 'The quality must be a whole number from 0 to 100. Try adding the file again.',
  media: 'Each file must be a picture or a video.',
  frameOrder: "This video's frames are out of order. Try adding the video again.",
  frame: "This video's frame numbers are broken. Try adding the video again.",
  tooManyFiles: `You can add up to ${MAX_FILES_PER_REQUEST} files at a time. Send the rest in another go.`,
  tooManyHashes: `These files make too many codes in total (more than ${MAX_HASH_VALUES_PER_REQUEST.toLocaleString('en')}). Send fewer files at a time.`,
  url: 'Enter a web address that starts with http:// or https://, like https://example.com/page.',
  urlLogin: 'Take the name and password out of this web address.',
  urlLong: `This web address is too long. It can be at most ${MAX_URL_LENGTH.toLocaleString('en')} characters.`,
  tooManyUrls: `You can add up to ${MAX_URLS_PER_REQUEST} web addresses at a time.`,
  oneLine: 'Enter one email address, on one line.',
  oneEmail: 'Enter just one email address.',
} as const

function hex(name: string, length: number) {
  const broken = MSG.broken(name, length)
  return z
    .string({ error: broken })
    .regex(new RegExp(`^[0-9a-fA-F]{${length}}$`), broken)
    .transform((s) => s.toLowerCase())
}

const Md5Schema = hex('MD5', 32).refine((v) => v !== EMPTY_MD5, MSG.emptyFile)
const Sha256Schema = hex('SHA-256', 64).refine((v) => v !== EMPTY_SHA256, MSG.emptyFile)
const PdqSchema = hex('PDQ', 64).refine((v) => v !== PDQ_ALL_ZERO && v !== PDQ_ALL_ONES, MSG.flatPicture)
const QualitySchema = z.number({ error: MSG.quality }).int(MSG.quality).min(0, MSG.quality).max(100, MSG.quality)

/** One sampled video frame. A flat (e.g. black) frame is allowed here; the server skips it. */
export const VpdqFrameSchema = z.object({
  frame: z.number({ error: MSG.frame }).int(MSG.frame).min(0, MSG.frame),
  quality: QualitySchema,
  pdq: hex('PDQ', 64),
  timestamp: z.number({ error: MSG.frame }).min(0, MSG.frame).max(1e7, MSG.frame),
})

export const ImageHashesSchema = z.object({
  media: z.literal('image'),
  pdq: PdqSchema,
  quality: QualitySchema,
  md5: Md5Schema,
  sha256: Sha256Schema,
})

export const VideoHashesSchema = z.object({
  media: z.literal('video'),
  md5: Md5Schema,
  sha256: Sha256Schema,
  vpdq: z
    .array(VpdqFrameSchema)
    .max(MAX_HASH_VALUES_PER_REQUEST, MSG.tooManyHashes)
    .default([])
    .superRefine((frames, ctx) => {
      for (let i = 1; i < frames.length; i++) {
        const prev = frames[i - 1]!
        const cur = frames[i]!
        if (cur.frame <= prev.frame || cur.timestamp < prev.timestamp) {
          ctx.addIssue({ code: 'custom', message: MSG.frameOrder, path: [i, 'frame'] })
          return
        }
      }
    }),
})

/** The hashes of one file, made in the survivor's browser. */
export const HashItemSchema = z.discriminatedUnion('media', [ImageHashesSchema, VideoHashesSchema], { error: MSG.media })
export type HashItem = z.output<typeof HashItemSchema>

/** How many hash values (future case_hash rows, before skipping flat frames) some files hold. */
export function countHashValues(files: readonly HashItem[]): number {
  return files.reduce((n, f) => n + (f.media === 'image' ? 3 : 2 + f.vpdq.length), 0)
}

export const FilesSchema = z
  .array(HashItemSchema, { error: MSG.media })
  .max(MAX_FILES_PER_REQUEST, MSG.tooManyFiles)
  .superRefine((files, ctx) => {
    if (countHashValues(files) > MAX_HASH_VALUES_PER_REQUEST) ctx.addIssue({ code: 'custom', message: MSG.tooManyHashes })
  })

/** People paste "example.com/page"; a missing scheme means https. */
function withScheme(s: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(s) ? s : `https://${s}`
}

/** Why a parsed web address cannot be used, or null when it can. */
function urlProblem(url: URL): string | null {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return MSG.url
  if (url.username || url.password) return MSG.urlLogin
  if (!url.hostname.includes('.')) return MSG.url
  if (url.href.length > MAX_URL_LENGTH) return MSG.urlLong
  return null
}

/** One web address where the images are, normalised (lower-case host, no default port). */
export const UrlSchema = z
  .string({ error: MSG.url })
  .trim()
  .min(1, MSG.url)
  .max(MAX_URL_LENGTH, MSG.urlLong)
  .transform((s, ctx) => {
    let url: URL | null = null
    try {
      url = new URL(withScheme(s))
    } catch {
      // reported below
    }
    const problem = url ? urlProblem(url) : MSG.url
    if (!url || problem) {
      ctx.addIssue({ code: 'custom', message: problem ?? MSG.url })
      return z.NEVER
    }
    return url.href
  })

/** Web addresses as a list, or one per line from a text box; duplicates dropped. */
export const UrlListSchema = z
  .union([z.string(), z.array(z.unknown())], { error: MSG.url })
  .optional()
  .transform((v) => (v === undefined ? [] : typeof v === 'string' ? v.split(/\r?\n/).map((s) => s.trim()).filter(Boolean) : v))
  .pipe(
    z
      .array(UrlSchema)
      .max(MAX_URLS_PER_REQUEST, MSG.tooManyUrls)
      .transform((urls) => [...new Set(urls)]),
  )

/** A contact address: exactly one, on one line, normalised to lower case. */
export const ContactEmailSchema = z
  .string({ error: 'Enter an email address.' })
  .refine((s) => !LINE_BREAK.test(s), MSG.oneLine)
  .refine((s) => s.trim().split(/[\s,;]+/).length <= 1 && (s.match(/@/g) ?? []).length <= 1, MSG.oneEmail)
  .pipe(EmailSchema)

const blankToUndefined = (v: unknown) => (v === null || (typeof v === 'string' && v.trim() === '') ? undefined : v)

/** Optional: empty means "no address". */
export const OptionalContactEmailSchema = z.preprocess(blankToUndefined, ContactEmailSchema.optional())

/** The typed full name that signs a notice; optional. */
export const SignatureSchema = z.preprocess(
  blankToUndefined,
  z
    .string()
    .trim()
    .max(MAX_SIGNATURE_LENGTH, `A name can be at most ${MAX_SIGNATURE_LENGTH} characters.`)
    .refine((s) => !CONTROL.test(s), 'Type your name on one line.')
    .optional(),
)

/** A checkbox: a boolean, or "on"/"true" from a form post; absent means not ticked. */
const CheckboxSchema = z
  .union([z.boolean(), z.enum(['on', 'true', 'false', ''])], { error: 'Tick the box, or leave it empty.' })
  .optional()
  .transform((v) => v === true || v === 'on' || v === 'true')

export const IdempotencyKeySchema = z
  .string({ error: 'This form is missing a part. Reload the page and try again.' })
  .regex(IDEMPOTENCY_KEY_PATTERN, 'This form is missing a part. Reload the page and try again.')

export const SHARE_CONSENT =
  'Tick this box so we can share the codes made from your files with websites that block copies. Without it we cannot use them.'
export const NOTICES_CONSENT = 'Tick this box so we can ask these websites to take the pictures down for you.'

/** The whole first submission: who is asking, the hashes, where the images are, and consent. */
export const NewRequestSchema = z
  .object({
    idempotencyKey: IdempotencyKeySchema,
    requester: z.enum(REQUESTERS, { error: 'Choose who this request is for.' }),
    language: z.enum(LANGUAGES).default('en'),
    files: FilesSchema.default([]),
    urls: UrlListSchema,
    shareHashes: CheckboxSchema,
    noticesConsent: CheckboxSchema,
    contactEmail: OptionalContactEmailSchema,
    signature: SignatureSchema,
  })
  .superRefine((v, ctx) => {
    if (v.files.length === 0 && v.urls.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['files'], message: 'Add at least one picture or video, or a web address.' })
    }
    if (v.files.length > 0 && !v.shareHashes) {
      ctx.addIssue({ code: 'custom', path: ['shareHashes'], message: SHARE_CONSENT })
    }
    if (v.urls.length > 0 && !v.noticesConsent) {
      ctx.addIssue({ code: 'custom', path: ['noticesConsent'], message: NOTICES_CONSENT })
    }
  })
export type NewRequestInput = z.input<typeof NewRequestSchema>
export type NewRequest = z.output<typeof NewRequestSchema>

/** Crockford base32 as a person types it; mirrors app/lib/case-codes.server.ts (a unit test keeps them in step). */
function looksLikeCode(input: string, length: number): boolean {
  const code = input
    .toUpperCase()
    .replace(/[\s\-\u2010-\u2015\u2212]/g, '')
    .replace(/[IL]/g, '1')
    .replace(/O/g, '0')
  return new RegExp(`^[0-9A-HJKMNP-TV-Z]{${length}}$`).test(code)
}

export const CaseNumberSchema = z
  .string({ error: 'Enter your case number.' })
  .trim()
  .min(1, 'Enter your case number.')
  .refine((v) => looksLikeCode(v, 8), `A case number has 8 letters and numbers, like ${CASE_NUMBER_EXAMPLE}.`)

export const CaseSecretSchema = z
  .string({ error: 'Enter your secret code.' })
  .trim()
  .min(1, 'Enter your secret code.')
  .refine((v) => looksLikeCode(v, 16), `A secret code has 16 letters and numbers, like ${CASE_SECRET_EXAMPLE}.`)

export const SignInSchema = z.object({ caseNumber: CaseNumberSchema, secret: CaseSecretSchema })
export type SignInInput = z.input<typeof SignInSchema>

/** "I lost my secret": the case number and the contact address given earlier. */
export const RecoveryRequestSchema = z.object({ caseNumber: CaseNumberSchema, email: ContactEmailSchema })
export type RecoveryRequestInput = z.input<typeof RecoveryRequestSchema>

export const RecoveryTokenSchema = z
  .string({ error: 'This link is not complete. Open the link from the email again, or ask for a new one.' })
  .regex(/^[A-Za-z0-9_-]{20,128}$/, 'This link is not complete. Open the link from the email again, or ask for a new one.')

export const AddHashesSchema = z.object({
  files: FilesSchema.min(1, 'Add at least one picture or video.'),
  /** Needed only when the case does not yet allow sharing hashes. */
  shareHashes: CheckboxSchema,
})
export type AddHashesInput = z.input<typeof AddHashesSchema>

export const AddUrlsSchema = z.object({
  urls: UrlListSchema.refine((urls) => urls.length > 0, 'Add at least one web address.'),
  /** Needed only when the case does not yet allow notices. */
  noticesConsent: CheckboxSchema,
})
export type AddUrlsInput = z.input<typeof AddUrlsSchema>

/** Set the contact address, or remove it with an empty value. */
export const SetContactSchema = z.object({ email: OptionalContactEmailSchema })
export type SetContactInput = z.input<typeof SetContactSchema>

export const WithdrawHashesSchema = z.object({
  hashIds: z.preprocess(
    (v) => (typeof v === 'string' ? [v] : v),
    z
      // Ids are letters, digits and hyphens; anything else (a NUL above all) could only fail the lookup.
      .array(z.string().min(1).max(64).regex(/^[\w-]+$/, 'Choose at least one file to take back.'), { error: 'Choose at least one file to take back.' })
      .min(1, 'Choose at least one file to take back.')
      .max(MAX_HASH_VALUES_PER_REQUEST),
  ),
})
export type WithdrawHashesInput = z.input<typeof WithdrawHashesSchema>
