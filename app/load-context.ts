// What the server entry hands to every loader and action.
declare module '@remix-run/node' {
  interface AppLoadContext {
    /** This response's Content-Security-Policy nonce. */
    cspNonce: string
    /**
     * The client's address, used only as a rate-limit key (hashed there) and
     * never stored with a case. Behind a proxy, set TRUST_PROXY.
     */
    clientAddress: string
  }
}
export {}
