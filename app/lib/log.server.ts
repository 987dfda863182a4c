/**
 * The one logger. Log lines carry event names, ids of rows and counts; never a
 * secret, email address, case number, hash value, API key or session id. The
 * redaction below is a second line of defence for fields that slip through.
 */
import pino from 'pino'
import { logLevelFrom } from './env.server'
import { singleton } from './singleton.server'

const REDACTED_KEYS = [
  'email',
  'secret',
  'password',
  'token',
  'key',
  'apiKey',
  'authorization',
  'cookie',
  'sessionId',
  'caseNumber',
  'case_number',
  'hash',
  'value',
  'recipient',
  'contact',
]

/**
 * Free text (error messages, stack traces) can quote what a query or a
 * library was given, such as "Key (email)=(...) already exists". Patterns
 * that look like personal data or secrets are masked in every string logged.
 */
export function scrub(text: string): string {
  return text
    .replace(/[^\s@<>()"',;:]+@[^\s@<>()"',;:]+\.[A-Za-z]{2,}/g, '[email]')
    .replace(/\b[0-9a-fA-F]{32,}\b/g, '[hex]')
    .replace(/\b[0-9A-Z]{4}-[0-9A-Z]{4}(-[0-9A-Z]{4}-[0-9A-Z]{4})?\b/g, '[code]')
    .replace(/[A-Za-z0-9_-]{32,}/g, '[token]')
}

function scrubValues(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrub(value)
  // Errors are left to the err serializer below, which runs after this.
  if (depth > 4 || value === null || typeof value !== 'object' || value instanceof Error) return value
  if (Array.isArray(value)) return value.map((v) => scrubValues(v, depth + 1))
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubValues(v, depth + 1)]))
}

/** A logger with Takeback's redaction, writing JSON lines to `destination` (standard output by default). */
export function createLogger(level: string, destination?: pino.DestinationStream) {
  return pino(
    {
      level,
      base: undefined,
    redact: {
      paths: [...REDACTED_KEYS, ...REDACTED_KEYS.map((k) => `*.${k}`)],
      censor: '[redacted]',
    },
    serializers: {
      err: (error: unknown) =>
        error instanceof Error
          ? { type: error.name, message: scrub(error.message), stack: scrub(error.stack ?? '') }
          : { message: scrub(String(error)) },
    },
    formatters: { log: (object) => scrubValues(object) as Record<string, unknown> },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? scrub(a) : a)) as Parameters<typeof method>)
      },
    },
    },
    destination,
  )
}

// Made on import, before the environment is checked: a bad LOG_LEVEL falls
// back to the default here and is reported with the other bad values at start.
export const log = singleton('log', () => createLogger(logLevelFrom()))

/**
 * A request path safe to log: any segment that looks like a token (long runs
 * of letters, digits, '-' or '_') is replaced, and the query string is dropped.
 */
export function loggablePath(pathname: string): string {
  return pathname
    .split('/')
    .map((segment) => (/^[A-Za-z0-9_-]{16,}$/.test(segment) || segment.length > 64 ? ':token' : segment))
    .join('/')
}
