/**
 * One instance per process, kept on globalThis. The server entry (run by tsx)
 * and the Remix build (bundled by Vite, and reloaded by Vite in dev) are two
 * module graphs in one process; without this each would open its own database
 * pool.
 */
export function singleton<T>(name: string, make: () => T): T {
  const store = globalThis as unknown as { __takeback?: Map<string, unknown> }
  store.__takeback ??= new Map()
  if (!store.__takeback.has(name)) store.__takeback.set(name, make())
  return store.__takeback.get(name) as T
}

/** Forget an instance, so that the next `singleton` call makes a new one. */
export function forgetSingleton(name: string): void {
  const store = globalThis as unknown as { __takeback?: Map<string, unknown> }
  store.__takeback?.delete(name)
}
