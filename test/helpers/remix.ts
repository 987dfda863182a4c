/**
 * Call a real Remix loader or action with a real Request, and read back what
 * it returned or threw in one shape: status and data.
 */
type RouteFn = (args: { request: Request; params: Record<string, string>; context: { cspNonce: string; clientAddress: string } }) => unknown

export interface RouteResult<T = unknown> {
  status: number
  data: T
  headers: Headers
  thrown: boolean
}

function isDataWithInit(v: unknown): v is { type: string; data: unknown; init: ResponseInit | null } {
  return typeof v === 'object' && v !== null && (v as { type?: string }).type === 'DataWithResponseInit'
}

async function settle<T>(value: unknown, thrown: boolean): Promise<RouteResult<T>> {
  if (value instanceof Response) {
    const text = await value.text()
    let data: unknown = text
    try {
      data = JSON.parse(text)
    } catch {
      // plain text stays text
    }
    return { status: value.status, data: data as T, headers: value.headers, thrown }
  }
  if (isDataWithInit(value)) {
    return { status: value.init?.status ?? 200, data: value.data as T, headers: new Headers(value.init?.headers), thrown }
  }
  if (thrown) throw value
  return { status: 200, data: value as T, headers: new Headers(), thrown }
}

export async function callRoute<T = any>(
  fn: RouteFn,
  url: string,
  init: RequestInit & { form?: Record<string, string>; json?: unknown; clientAddress?: string } = {},
  params: Record<string, string> = {},
): Promise<RouteResult<T>> {
  const { form, json, clientAddress = '127.0.0.1', ...rest } = init
  const request = new Request(new URL(url, 'http://localhost:3000'), {
    ...rest,
    ...(form ? { method: 'POST', body: new URLSearchParams(form) } : {}),
    ...(json !== undefined ? { method: 'POST', body: JSON.stringify(json), headers: { 'Content-Type': 'application/json' } } : {}),
  })
  try {
    return await settle<T>(await fn({ request, params, context: { cspNonce: 'test', clientAddress } }), false)
  } catch (error) {
    return settle<T>(error, true)
  }
}
