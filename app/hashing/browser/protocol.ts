/** Messages between the page and the hashing worker. Only hashes ever come back. */
import type { FileDigests } from '../digest'

export type ToWorker =
  | { type: 'image'; id: number; file: Blob }
  | { type: 'digest'; id: number; file: Blob }
  | { type: 'sniff'; id: number; file: Blob }
  | { type: 'pdq'; id: number; width: number; height: number; rgba: ArrayBuffer }
  | { type: 'cancel'; id: number }

export interface ImageResult extends FileDigests {
  width: number
  height: number
  pdq: string
  quality: number
  dihedral: string[]
}

export type FromWorker =
  | { type: 'progress'; id: number; done: number; total: number }
  | { type: 'image'; id: number; result: ImageResult }
  | { type: 'digest'; id: number; result: FileDigests }
  | { type: 'sniff'; id: number; result: { media: 'image' | 'video' | null; mime: string | null } }
  | { type: 'pdq'; id: number; result: { pdq: string; quality: number } }
  | { type: 'error'; id: number; message: string; cancelled?: boolean }
