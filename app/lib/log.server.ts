/**
 * The one logger. Log lines carry event names, ids of rows and counts; never a
 * secret, email address, case number, hash value, API key or session id. The
 * redaction below is a second line of defence for fields that slip through.
 */
import pino from 'pino'
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

export const log = singleton('log', () =>
  pino({
    level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info'),
    base: undefined,
    redact: {
      paths: [...REDACTED_KEYS, ...REDACTED_KEYS.map((k) => `*.${k}`)],
      censor: '[redacted]',
    },
  }),
)

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
