/**
 * What a file is, from its first bytes rather than its name or the type the
 * operating system guessed. file-type's core build has no Node APIs, so the
 * browser worker and the command line sniff alike.
 */
import { fileTypeFromBuffer } from 'file-type/core'

export type Media = 'image' | 'video'

export type Sniffed = { media: Media; mime: string } | { media: null; mime: string | null }

/** How many leading bytes sniffing needs. */
export const SNIFF_BYTES = 4100

export async function sniffMedia(head: Uint8Array): Promise<Sniffed> {
  const type = await fileTypeFromBuffer(head)
  if (!type) return { media: null, mime: null }
  if (type.mime.startsWith('image/')) return { media: 'image', mime: type.mime }
  if (type.mime.startsWith('video/')) return { media: 'video', mime: type.mime }
  return { media: null, mime: type.mime }
}

/** HEIC and HEIF: iPhone photos, which some browsers cannot decode. */
export function isHeif(mime: string | null): boolean {
  return mime === 'image/heic' || mime === 'image/heif' || mime === 'image/heic-sequence' || mime === 'image/heif-sequence'
}

export const MESSAGES = {
  unreadable: 'This file could not be read as an image or video.',
  heic: 'This is an iPhone photo in HEIC format, which this browser cannot open. On the iPhone, choose the photo again using Share > Save to Files as JPEG, or set Settings > Camera > Formats > Most Compatible, then try again.',
  empty: 'This file is empty.',
  video: 'This video could not be played in this browser, so it could not be hashed. Try another browser, or a copy of the video in MP4 format.',
} as const
