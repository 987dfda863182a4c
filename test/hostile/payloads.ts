/**
 * The hostile values the input suite sends to every field (see fields.ts for
 * the fields, test/integration/hostile-input.test.ts for the checks).
 *
 * A value is what goes in place of one field of an otherwise valid request.
 * Most are strings; some need the raw bytes of the body (overlong UTF-8), a
 * literal of JSON text (1e309), or a change of shape (missing, duplicated,
 * an array instead of a scalar).
 */

/** How a field is checked, which decides what a value may legitimately do to it. */
export type FieldKind =
  /** Free text a person writes, kept as written (notes, reasons, explanations): markup and quotes are data. */
  | 'text'
  /** A short text on one line (a name, a signature). */
  | 'line'
  | 'email'
  /** A web address, or a list of them one per line. */
  | 'url'
  /** A lowercase hex hash of a fixed length, alone or inside a submitted file. */
  | 'md5'
  | 'sha256'
  | 'pdq'
  /** An id, token, enum or other machine value the page itself put in the form. */
  | 'token'
  | 'number'
  | 'bool'
  | 'password'
  /** A case number, secret or six-digit code a person types. */
  | 'code'
  /** A domain name, or a list of them. */
  | 'domain'
  /** A search box or filter in a query string: anything unknown falls back to the default. */
  | 'query'

/** A literal of JSON text, sent as-is in a JSON body and as the text itself in a form. */
export class RawJson {
  constructor(readonly text: string) {}
}
/** Bytes sent as they are: percent-encoded byte by byte in a form, written raw inside a JSON string. */
export class RawBytes {
  constructor(
    readonly before: string,
    readonly bytes: Buffer,
    readonly after: string,
  ) {}
}
/** The field is left out. */
export const MISSING = Symbol('missing')
/** The field sent twice, with each of these values. */
export class Dup {
  constructor(readonly values: unknown[]) {}
}
/** The field's valid value wrapped in a list (`a[0]=v` in a form, `[v]` in JSON). */
export class AsArray {
  constructor(readonly value: unknown) {}
}

export type Expect = 'refuse' | 'accept' | 'either'

export interface Payload {
  name: string
  /** The value for a field whose valid value is `base`; `max` is the field's length limit, if any. */
  make(base: string, max: number | undefined): unknown
  /** What a field of each kind must do with it; default 'refuse'. */
  expect?: Partial<Record<FieldKind, Expect>> & { default?: Expect }
  /** Only for fields of these kinds. */
  only?: FieldKind[]
}

/** A marker a template engine would turn into tb49tb: it must come back as it went in, never evaluated. */
export const EVALUATED = 'tb49tb'
/** Markup that would run if a page wrote it out raw. */
export const SCRIPT = '<script>alert(1)</script>'
export const SVG = '"><svg onload=alert(1)>'
/** A property no object may ever have: set by the prototype-pollution payloads. */
export const POLLUTED = 'hostilePolluted'

/** Free text takes it; short single-line fields may too, but the strict kinds must refuse it. */
const freeform: Payload['expect'] = { text: 'accept', line: 'either', password: 'either', query: 'either' }
/** A character that is odd but not harmful: fine in free text, and a trimmed or lenient field may take it. */
const oddChar: Payload['expect'] = { text: 'accept', line: 'either', password: 'either', query: 'either', default: 'either' }

/** A value of exactly `n` characters shaped like the field's valid value. */
export function ofLength(base: string, n: number): string {
  const at = base.indexOf('@')
  // An email address grows in its domain label, so it stays an address until the overall limit.
  if (at > 0) {
    const local = base.slice(0, at)
    const filler = Math.max(0, n - local.length - '@.example'.length)
    const labels: string[] = []
    for (let left = filler; left > 0; left -= 61) labels.push('d'.repeat(Math.min(60, left)))
    const s = `${local}@${labels.join('.')}.example`
    return s.length > n ? s.slice(0, n) : s.padEnd(n, 'e')
  }
  return base.length >= n ? base.slice(0, n) : base + 'a'.repeat(n - base.length)
}

export const PAYLOADS: Payload[] = [
  { name: 'empty', make: () => '', expect: { query: 'either' } },
  { name: 'whitespace only', make: () => ' \t  ', expect: { query: 'either', password: 'either' } },
  { name: 'missing', make: () => MISSING, expect: { query: 'either' } },
  { name: 'duplicated', make: (base) => new Dup([base, `${base}x`]), expect: { default: 'either' } },
  { name: 'array instead of scalar', make: (base) => new AsArray(base), expect: { default: 'either' } },
  { name: 'max-1 length', make: (base, max) => ofLength(base, max! - 1), expect: { text: 'accept', line: 'accept', default: 'either' } },
  { name: 'max length', make: (base, max) => ofLength(base, max!), expect: { text: 'accept', line: 'accept', default: 'either' } },
  { name: 'max+1 length', make: (base, max) => ofLength(base, max! + 1), expect: { query: 'either' } },
  { name: '1 MB value', make: (base) => base + 'a'.repeat(1_000_000), expect: { query: 'either' } },
  { name: 'NUL', make: (base) => `${base.slice(0, 1)}\u0000${base.slice(1)}`, expect: { query: 'either', password: 'either' } },
  { name: 'lone surrogate', make: (base) => `${base}\ud800`, expect: oddChar },
  { name: 'overlong UTF-8', make: (base) => new RawBytes(base, Buffer.from([0xc0, 0xbc]), 'x'), expect: oddChar },
  { name: 'BOM', make: (base) => `\ufeff${base}`, expect: oddChar },
  // In a web address the URL parser percent-encodes these, so it may keep them harmlessly.
  { name: 'RTL override', make: (base) => `${base}\u202egpj.exe`, expect: { ...freeform, line: 'either', url: 'either' } },
  { name: 'zero-width characters', make: (base) => `${base.slice(0, 1)}\u200b\u200d${base.slice(1)}`, expect: { ...freeform, line: 'either', url: 'either' } },
  { name: 'CR LF', make: (base) => `${base}\r\nBcc: x@evil.example`, expect: { text: 'accept', password: 'either', query: 'either', url: 'either' } },
  { name: 'U+2028', make: (base) => `${base}\u2028x`, expect: { text: 'accept', password: 'either', query: 'either', url: 'either' } },
  { name: 'U+2029', make: (base) => `${base}\u2029x`, expect: { text: 'accept', password: 'either', query: 'either', url: 'either' } },
  { name: 'U+0085', make: (base) => `${base}\u0085x`, expect: { text: 'accept', password: 'either', query: 'either', url: 'either' } },
  { name: '<script>', make: () => SCRIPT, expect: freeform },
  { name: '"><svg onload>', make: () => SVG, expect: freeform },
  { name: '{{7*7}}', make: () => 'tb{{7*7}}tb', expect: freeform },
  { name: '${7*7}', make: () => 'tb${7*7}tb', expect: freeform },
  { name: 'SQL quote', make: () => "x' OR '1'='1' --", expect: freeform },
  { name: 'SQL statement', make: () => '1; DROP TABLE survivor_case; --', expect: freeform },
  { name: 'SQL LIKE wildcards', make: () => "%' OR 1=1 -- _%", expect: freeform },
  { name: '__proto__ object', make: () => new RawJson(`{"__proto__":{"${POLLUTED}":"yes"}}`), expect: { query: 'either', password: 'either', text: 'either', line: 'either' } },
  {
    name: 'constructor.prototype object',
    make: () => new RawJson(`{"constructor":{"prototype":{"${POLLUTED}":"yes"}}}`),
    expect: { query: 'either', password: 'either', text: 'either', line: 'either' },
  },
  // Text in a form, a number (or, for NaN, broken JSON) in a JSON body: a text field may take the first and must refuse the others.
  { name: '1e309', make: () => new RawJson('1e309'), expect: { ...freeform, text: 'either', number: 'refuse' } },
  { name: 'NaN', make: () => new RawJson('NaN'), expect: { ...freeform, text: 'either', number: 'refuse' } },
  { name: '-0', make: () => new RawJson('-0'), expect: { ...freeform, text: 'either', number: 'either' } },

  // Hashes
  ...(['md5', 'sha256', 'pdq'] as const).flatMap((kind): Payload[] => {
    const length = kind === 'md5' ? 32 : 64
    return [
      { name: `${length - 1} hex`, only: [kind], make: () => 'a'.repeat(length - 1) },
      { name: `${length + 1} hex`, only: [kind], make: () => 'a'.repeat(length + 1) },
      { name: '0x prefix', only: [kind], make: () => `0x${'a'.repeat(length - 2)}` },
      { name: 'non-hex', only: [kind], make: () => 'g'.repeat(length) },
      { name: 'upper-case hex', only: [kind], make: (base) => base.toUpperCase(), expect: { default: 'either' } },
    ]
  }),
  { name: 'all-zero PDQ', only: ['pdq'], make: () => '0'.repeat(64) },
  { name: 'all-ones PDQ', only: ['pdq'], make: () => 'f'.repeat(64) },
  { name: 'empty-file MD5', only: ['md5'], make: () => 'd41d8cd98f00b204e9800998ecf8427e' },
  { name: 'empty-file SHA-256', only: ['sha256'], make: () => 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },

  // Web addresses
  { name: 'javascript:', only: ['url'], make: () => 'javascript:alert(1)' },
  { name: 'JaVaScRiPt:', only: ['url'], make: () => 'JaVaScRiPt:alert(1)' },
  { name: 'java<TAB>script:', only: ['url'], make: () => 'java\tscript:alert(1)' },
  { name: 'data:', only: ['url'], make: () => 'data:text/html,<script>alert(1)</script>' },
  { name: 'file:', only: ['url'], make: () => 'file:///etc/passwd' },
  { name: '//host', only: ['url'], make: () => '//evil.example/x', expect: { default: 'either' } },
  { name: 'user@host', only: ['url'], make: () => 'https://user@evil.example/x' },
  { name: 'user:password@host', only: ['url'], make: () => 'https://user:pw@evil.example/x' },
  // Takeback never fetches a reported address, so these are only stored; they must not do harm if they are.
  { name: 'loopback', only: ['url'], make: () => 'http://127.0.0.1/x', expect: { default: 'either' } },
  { name: 'localhost', only: ['url'], make: () => 'http://localhost/x' },
  { name: 'private address', only: ['url'], make: () => 'http://10.0.0.1/x', expect: { default: 'either' } },
  { name: 'link-local metadata', only: ['url'], make: () => 'http://169.254.169.254/latest', expect: { default: 'either' } },
  { name: 'IPv6 loopback', only: ['url'], make: () => 'http://[::1]/x', expect: { default: 'either' } },

  // Email addresses
  { name: 'header injection', only: ['email'], make: () => 'a@b.example\r\nBcc: x@evil.example' },
  { name: 'two addresses (comma)', only: ['email'], make: () => 'a@b.example, c@d.example' },
  { name: 'two addresses (space)', only: ['email'], make: () => 'a@b.example c@d.example' },
  { name: 'display name', only: ['email'], make: () => 'Eve <x@evil.example>' },
  { name: '65-character local part', only: ['email'], make: () => `${'a'.repeat(65)}@example.org` },
]

/** What `payload` must do to a field of `kind`. */
export function expectationFor(payload: Payload, kind: FieldKind): Expect {
  return payload.expect?.[kind] ?? payload.expect?.default ?? 'refuse'
}
