import { createContext, useContext } from 'react'

// The Content-Security-Policy nonce of this response. Set on the server only:
// browsers hide nonce attributes from scripts, so the client has none to give.
const NonceContext = createContext<string | undefined>(undefined)
export const NonceProvider = NonceContext.Provider
export const useNonce = () => useContext(NonceContext)
