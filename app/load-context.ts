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
    /**
     * Resolves once the connection can take more of the answer (at once when
     * it can, or when it has closed). Remix writes a streamed body without
     * waiting for the socket, so a stream that produces fast must ask this
     * before producing more, or the whole answer piles up in memory. Absent
     * where a loader is called outside the server.
     */
    whenWritable?: () => Promise<void>
  }
}
export {}
