/// <reference lib="webworker" />
/**
 * The hashing Web Worker: decodes and hashes files off the main thread so the
 * page stays responsive. It has no network access of its own to use: it never
 * calls fetch, and answers only with hashes.
 */
import { createDigester, HashingCancelled } from '../digest'
import { isHeif, MESSAGES, sniffMedia, SNIFF_BYTES } from '../media'
import { pdqFromRgba } from '../pdq'
import type { FromWorker, ImageResult, ToWorker } from './protocol'

declare const self: DedicatedWorkerGlobalScope

const CHUNK = 4 << 20
const cancelled = new Set<number>()

function post(message: FromWorker, transfer: Transferable[] = []) {
  self.postMessage(message, transfer)
}

/** MD5 + SHA-256 in 4 MiB slices: constant memory however large the file. */
async function digest(id: number, file: Blob, progressShare = 1) {
  const digester = await createDigester()
  for (let offset = 0; offset < file.size; offset += CHUNK) {
    if (cancelled.has(id)) throw new HashingCancelled()
    const chunk = new Uint8Array(await file.slice(offset, offset + CHUNK).arrayBuffer())
    digester.update(chunk)
    post({ type: 'progress', id, done: Math.round((offset + chunk.byteLength) * progressShare), total: file.size })
  }
  return digester.digest()
}

async function hashImage(id: number, file: Blob): Promise<ImageResult> {
  const digests = await digest(id, file, 0.5)
  let bitmap: ImageBitmap
  try {
    // Hash the image as it is displayed, orientation applied, because copies
    // on platforms are re-encoded with the rotation applied; and with no
    // colour management, as providers' hashers decode it.
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image', colorSpaceConversion: 'none', premultiplyAlpha: 'none' })
  } catch {
    const sniffed = await sniffMedia(new Uint8Array(await file.slice(0, SNIFF_BYTES).arrayBuffer()))
    throw new Error(isHeif(sniffed.mime) ? MESSAGES.heic : MESSAGES.unreadable)
  }
  if (cancelled.has(id)) throw new HashingCancelled()
  const { width, height } = bitmap
  const canvas = new OffscreenCanvas(width, height)
  const context = canvas.getContext('2d', { willReadFrequently: true, colorSpace: 'srgb' })
  if (!context) throw new Error(MESSAGES.unreadable)
  context.drawImage(bitmap, 0, 0)
  bitmap.close()
  const rgba = context.getImageData(0, 0, width, height, { colorSpace: 'srgb' }).data
  const pdq = pdqFromRgba(rgba, width, height)
  post({ type: 'progress', id, done: file.size, total: file.size })
  return { ...digests, width, height, pdq: pdq.hash, quality: pdq.quality, dihedral: pdq.dihedral }
}

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const message = event.data
  if (message.type === 'cancel') {
    cancelled.add(message.id)
    return
  }
  const { id } = message
  try {
    switch (message.type) {
      case 'image':
        post({ type: 'image', id, result: await hashImage(id, message.file) })
        break
      case 'digest':
        post({ type: 'digest', id, result: await digest(id, message.file) })
        break
      case 'sniff': {
        const sniffed = await sniffMedia(new Uint8Array(await message.file.slice(0, SNIFF_BYTES).arrayBuffer()))
        post({ type: 'sniff', id, result: sniffed })
        break
      }
      case 'pdq': {
        const { hash, quality } = pdqFromRgba(new Uint8Array(message.rgba), message.width, message.height)
        post({ type: 'pdq', id, result: { pdq: hash, quality } })
        break
      }
    }
  } catch (error) {
    const wasCancelled = error instanceof HashingCancelled
    post({ type: 'error', id, message: wasCancelled ? 'Cancelled.' : error instanceof Error ? error.message : MESSAGES.unreadable, cancelled: wasCancelled })
  } finally {
    cancelled.delete(id)
  }
}
