/**
 * Domain errors: small classes thrown by models and turned into HTTP answers
 * in one place (`toResponse`), so a model never speaks HTTP.
 */
export class DomainError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message)
  }
}

/** The thing asked for does not exist, or the asker may not know it exists. */
export class NotFoundError extends DomainError {
  constructor(message = 'Not found.') {
    super(message, 404)
  }
}

/** A link or token that was valid once but no longer is. */
export class GoneError extends DomainError {
  constructor(message: string) {
    super(message, 410)
  }
}

/** Input that is well-formed but not acceptable, reported against a field. */
export class ValidationError extends DomainError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message, 400)
  }
}

export function toResponse(error: DomainError): Response {
  return new Response(error.message, { status: error.status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
}
