/**
 * Frames of a video for vPDQ, taken in the browser: the video plays from a
 * local object URL in a hidden <video> element, is seeked to each sampled
 * frame and drawn to a canvas. Nothing is uploaded. Browser decoding and
 * seeking agree with FFmpeg only within tolerance, which vPDQ matching allows.
 */
import { MESSAGES } from '../media'
import { DEFAULT_SECONDS_PER_HASH, frameMod } from '../vpdq'

export interface SampledFrame {
  frame: number
  timestamp: number
  width: number
  height: number
  rgba: Uint8ClampedArray
}

export interface VideoInfo {
  width: number
  height: number
  duration: number
  fps: number
  /** Frame numbers that will be sampled. */
  frames: number[]
}

// Frame rates cameras and encoders use; a measured rate within 1% snaps to one.
const COMMON_RATES = [24000 / 1001, 24, 25, 30000 / 1001, 30, 48, 50, 60000 / 1001, 60, 120]

function once(target: EventTarget, ok: string, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(MESSAGES.video)), timeoutMs)
    const onOk = () => done()
    const onError = () => done(new Error(MESSAGES.video))
    function done(error?: Error) {
      clearTimeout(timer)
      target.removeEventListener(ok, onOk)
      target.removeEventListener('error', onError)
      if (error) reject(error)
      else resolve()
    }
    target.addEventListener(ok, onOk)
    target.addEventListener('error', onError)
  })
}

/**
 * <video> does not expose the frame rate, so measure it: play briefly and
 * read the media time of each presented frame.
 */
async function measureFps(video: HTMLVideoElement): Promise<number> {
  const times: number[] = []
  await new Promise<void>((resolve) => {
    const stop = setTimeout(resolve, 3000)
    const onFrame: VideoFrameRequestCallback = (_now, meta) => {
      times.push(meta.mediaTime)
      if (times.length >= 16 || video.ended) {
        clearTimeout(stop)
        resolve()
      } else video.requestVideoFrameCallback(onFrame)
    }
    video.requestVideoFrameCallback(onFrame)
    video.play().catch(() => resolve())
  })
  video.pause()
  const steps = times
    .slice(1)
    .map((t, i) => t - times[i]!)
    .filter((d) => d > 0)
    .sort((a, b) => a - b)
  const median = steps[Math.floor(steps.length / 2)]
  if (!median || times.length < 2) return 30
  // Over the whole run, counting skipped frames, is finer than any single step.
  const span = times[times.length - 1]! - times[0]!
  const measured = Math.round(span / median) / span
  // 29.97 and 30 are 0.1% apart: snap to the nearest common rate, not the first within reach.
  const nearest = COMMON_RATES.reduce((best, r) => (Math.abs(r - measured) < Math.abs(best - measured) ? r : best))
  return Math.abs(nearest - measured) / nearest < 0.01 ? nearest : measured
}

export class VideoSampler {
  private readonly video = document.createElement('video')
  private readonly url: string
  private info: VideoInfo | null = null

  constructor(file: Blob) {
    this.url = URL.createObjectURL(file)
    const v = this.video
    v.muted = true
    v.playsInline = true
    v.preload = 'auto'
    // In the document (invisible) so the browser decodes and presents frames.
    v.className = 'offscreen-video'
    v.setAttribute('aria-hidden', 'true')
    document.body.append(v)
  }

  async open(secondsPerHash = DEFAULT_SECONDS_PER_HASH): Promise<VideoInfo> {
    const v = this.video
    const loaded = once(v, 'loadeddata')
    v.src = this.url
    await loaded
    if (!v.videoWidth || !v.videoHeight || !Number.isFinite(v.duration)) throw new Error(MESSAGES.video)
    const fps = await measureFps(v)
    const mod = frameMod(fps, secondsPerHash)
    const frames: number[] = []
    // Aim at the middle of each frame, so rounding never lands on its neighbour.
    for (let f = 0; (f + 0.5) / fps < v.duration; f += mod) frames.push(f)
    this.info = { width: v.videoWidth, height: v.videoHeight, duration: v.duration, fps, frames }
    return this.info
  }

  async *frames(isCancelled: () => boolean): AsyncGenerator<SampledFrame> {
    const info = this.info
    if (!info) throw new Error('open() first')
    const canvas = new OffscreenCanvas(info.width, info.height)
    const context = canvas.getContext('2d', { willReadFrequently: true })
    if (!context) throw new Error(MESSAGES.video)
    for (const frame of info.frames) {
      if (isCancelled()) return
      const seeked = once(this.video, 'seeked')
      this.video.currentTime = (frame + 0.5) / info.fps
      await seeked
      context.drawImage(this.video, 0, 0, info.width, info.height)
      const rgba = context.getImageData(0, 0, info.width, info.height).data
      yield { frame, timestamp: frame / info.fps, width: info.width, height: info.height, rgba }
    }
  }

  close() {
    this.video.removeAttribute('src')
    this.video.load()
    this.video.remove()
    URL.revokeObjectURL(this.url)
  }
}
