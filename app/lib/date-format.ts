/**
 * A date and time as people read them, in their language. The formatter is
 * made once per language and kept: `Date#toLocaleString` with options builds
 * a new Intl.DateTimeFormat on every call, which was the largest single cost
 * of rendering a survivor's status page (a dozen dates on it).
 */
const formatters = new Map<string, Intl.DateTimeFormat>()

export function formatDateTime(language: string, ms: number): string {
  let format = formatters.get(language)
  if (!format) {
    format = new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'short' })
    formatters.set(language, format)
  }
  return format.format(ms)
}
