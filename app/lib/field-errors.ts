import type { z } from 'zod'

/** Field messages from a zod error, keyed by the top-level field ('form' for the whole). */
export function fieldErrors(error: z.ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? 'form')
    const list = (out[field] ??= [])
    if (!list.includes(issue.message)) list.push(issue.message)
  }
  return out
}
