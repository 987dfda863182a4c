/**
 * MD5 and SHA-256 of a file, streamed in chunks so a 2 GB video hashes in
 * constant memory. hash-wasm rather than WebCrypto: WebCrypto has no MD5 and
 * cannot hash a stream, and the same code must run in the browser worker and
 * in Node.
 */
import { createMD5, createSHA256 } from 'hash-wasm'

export interface FileDigests {
  md5: string
  sha256: string
}

/** MD5 and SHA-256 of an empty file: a "hash" that says nothing about any image. */
export const EMPTY_MD5 = 'd41d8cd98f00b204e9800998ecf8427e'
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'

export interface Digester {
  update(chunk: Uint8Array): void
  digest(): FileDigests
}

/** Both hashes, fed the same chunks in one pass. */
export async function createDigester(): Promise<Digester> {
  const [md5, sha256] = await Promise.all([createMD5(), createSHA256()])
  md5.init()
  sha256.init()
  return {
    update(chunk) {
      md5.update(chunk)
      sha256.update(chunk)
    },
    digest: () => ({ md5: md5.digest('hex'), sha256: sha256.digest('hex') }),
  }
}

/** Hash every chunk of a stream; `onProgress` hears the bytes done so far. */
export async function digestChunks(
  chunks: AsyncIterable<Uint8Array>,
  onProgress?: (bytesDone: number) => void,
  signal?: { aborted: boolean },
): Promise<FileDigests> {
  const digester = await createDigester()
  let done = 0
  for await (const chunk of chunks) {
    if (signal?.aborted) throw new HashingCancelled()
    digester.update(chunk)
    done += chunk.byteLength
    onProgress?.(done)
  }
  return digester.digest()
}

export class HashingCancelled extends Error {
  constructor() {
    super('Hashing was cancelled.')
    this.name = 'HashingCancelled'
  }
}
