/**
 * The page's side of hashing: hands files to the worker, samples video frames
 * on the main thread (only the page can play a <video>), and reports progress.
 * Results hold hashes only. The file name stays in the page for display and
 * is never part of a result.
 */
import type { FileDigests } from '../digest'
import { isLowQuality } from '../pdq'
import { MESSAGES } from '../media'
import type { VpdqFrame } from '../vpdq'
import type { FromWorker, ImageResult, ToWorker } from './protocol'
import { VideoSampler } from './video-frames'

export type HashResult =
  | ({ media: 'image'; lowQuality: boolean } & ImageResult)
  | ({ media: 'video'; width: number; height: number; fps: number; vpdq: VpdqFrame[] } & FileDigests)

export class HashCancelled extends Error {
  constructor() {
    super('Cancelled.')
  }
}

type Request = ToWorker extends infer T ? (T extends unknown ? Omit<T, 'id'> : never) : never

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; onProgress?: (done: number, total: number) => void }

export class FileHasher {
  private readonly worker: Worker
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  private active = new Set<number>()
  private cancelled = false

  constructor() {
    this.worker = new Worker(new URL('./hash-worker.ts', import.meta.url), { type: 'module' })
    this.worker.onmessage = (event: MessageEvent<FromWorker>) => {
      const m = event.data
      const p = this.pending.get(m.id)
      if (!p) return
      if (m.type === 'progress') return p.onProgress?.(m.done, m.total)
      this.pending.delete(m.id)
      this.active.delete(m.id)
      if (m.type === 'error') p.reject(m.cancelled ? new HashCancelled() : new Error(m.message))
      else p.resolve(m.result)
    }
  }

  private request<T>(message: Request, onProgress?: Pending['onProgress'], transfer: Transferable[] = []): Promise<T> {
    const id = this.nextId++
    this.active.add(id)
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onProgress })
      this.worker.postMessage({ ...message, id } as ToWorker, transfer)
    })
  }

  /** Hash one file. `onProgress` hears a fraction from 0 to 1. */
  async hash(file: File, onProgress: (fraction: number) => void = () => {}): Promise<HashResult> {
    this.cancelled = false
    if (file.size === 0) throw new Error(MESSAGES.empty)
    const sniffed = await this.request<{ media: 'image' | 'video' | null; mime: string | null }>({ type: 'sniff', file })
    if (sniffed.media === 'image') {
      const r = await this.request<ImageResult>({ type: 'image', file }, (done, total) => onProgress(done / total))
      return { media: 'image', lowQuality: isLowQuality(r.quality), ...r }
    }
    if (sniffed.media === 'video') return this.hashVideo(file, onProgress)
    throw new Error(MESSAGES.unreadable)
  }

  private async hashVideo(file: File, onProgress: (fraction: number) => void): Promise<HashResult> {
    let digestShare = 0
    let frameShare = 0
    const report = () => onProgress(0.5 * digestShare + 0.5 * frameShare)
    const digests = this.request<FileDigests>({ type: 'digest', file }, (done, total) => {
      digestShare = done / total
      report()
    })
    const sampler = new VideoSampler(file)
    try {
      const info = await sampler.open()
      const vpdq: VpdqFrame[] = []
      for await (const f of sampler.frames(() => this.cancelled)) {
        const { pdq, quality } = await this.request<{ pdq: string; quality: number }>(
          { type: 'pdq', width: f.width, height: f.height, rgba: f.rgba.buffer as ArrayBuffer },
          undefined,
          [f.rgba.buffer as ArrayBuffer],
        )
        vpdq.push({ frame: f.frame, quality, pdq, timestamp: f.timestamp })
        frameShare = vpdq.length / info.frames.length
        report()
      }
      if (this.cancelled) throw new HashCancelled()
      return { media: 'video', ...(await digests), width: info.width, height: info.height, fps: info.fps, vpdq }
    } finally {
      sampler.close()
    }
  }

  /** Stop the file being hashed now; its promise rejects with HashCancelled. */
  cancel() {
    this.cancelled = true
    for (const id of this.active) this.worker.postMessage({ type: 'cancel', id } satisfies ToWorker)
  }

  dispose() {
    this.worker.terminate()
    for (const p of this.pending.values()) p.reject(new HashCancelled())
    this.pending.clear()
  }
}
