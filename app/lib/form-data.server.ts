/**
 * A form post's fields. A field holding a NUL is refused with 400. A body that is not a form (JSON, plain text, bytes
 * sent to a form's address) makes the platform's formData() throw; that is
 * the client's mistake, so it is answered 415 with a plain message rather
 * than the 500 an uncaught error would give.
 */
export async function readFormData(request: Request): Promise<FormData> {
  let form: FormData
  try {
    form = await request.formData()
  } catch {
    throw plain(415, 'This form could not be read. Reload the page and try again.')
  }
  // No field of any form may hold a NUL: PostgreSQL cannot store or even
  // compare one (an id with a NUL in it would fail the query with a 500).
  for (const [name, value] of form) {
    if (name.includes('\u0000') || (typeof value === 'string' && value.includes('\u0000'))) {
      throw plain(400, 'This form holds a character that cannot be used (NUL). Remove it and try again.')
    }
  }
  return form
}

function plain(status: number, message: string): Response {
  return new Response(`${message}\n`, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
}
