// What the server entry hands to every loader and action.
declare module '@remix-run/node' {
  interface AppLoadContext {
    /** This response's Content-Security-Policy nonce. */
    cspNonce: string
  }
}
export {}
