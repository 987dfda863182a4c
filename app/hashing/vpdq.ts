/**
 * vPDQ: a video as the PDQ hashes of sampled frames, and the rule that says
 * when two videos match. The sampling and matching follow the reference (see
 * the PDQ/vPDQ specification, section 5); decoding frames is left to the
 * caller (FFmpeg on the command line, a <video> element in the browser).
 */
import { hammingDistance, LOW_QUALITY_THRESHOLD, PDQ_MATCH_DISTANCE } from './pdq'

export interface VpdqFrame {
  /** 0-based number of the frame in decoding order. */
  frame: number
  quality: number
  pdq: string
  /** Seconds: frame / fps. */
  timestamp: number
}

/** One hash per second by default, as python-threatexchange and Hasher-Matcher-Actioner use. */
export const DEFAULT_SECONDS_PER_HASH = 1

/**
 * Keep every frameMod-th frame: `int(secondsPerHash * fps)`, at least 1. At
 * 29.97 fps and one second that is every 29th frame, not exactly 1 fps, which
 * is what the reference does and so what providers' hashes are made with.
 * secondsPerHash 0 keeps every frame.
 */
export function frameMod(fps: number, secondsPerHash = DEFAULT_SECONDS_PER_HASH): number {
  return Math.max(1, Math.trunc(secondsPerHash * fps))
}

/** The frame numbers that sampling keeps from a video of `frameCount` frames. */
export function sampledFrames(frameCount: number, fps: number, secondsPerHash = DEFAULT_SECONDS_PER_HASH): number[] {
  const mod = frameMod(fps, secondsPerHash)
  const frames: number[] = []
  for (let f = 0; f < frameCount; f += mod) frames.push(f)
  return frames
}

/** Parse the reference's text format: `frame,quality,pdqHex,timestamp` per line. */
export function parseVpdq(text: string): VpdqFrame[] {
  return text
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      const [frame, quality, pdq, timestamp] = line.split(',')
      if (!frame || !quality || !pdq || !timestamp || !/^[0-9a-f]{64}$/i.test(pdq)) {
        throw new SyntaxError(`vPDQ line ${i + 1} is not "frame,quality,hash,timestamp"`)
      }
      return { frame: Number(frame), quality: Number(quality), pdq: pdq.toLowerCase(), timestamp: Number(timestamp) }
    })
}

/** The reference's text format, timestamps to 3 decimals. */
export function formatVpdq(frames: readonly VpdqFrame[]): string {
  return frames.map((f) => `${f.frame},${f.quality},${f.pdq},${f.timestamp.toFixed(3)}`).join('\n') + '\n'
}

export interface VpdqMatch {
  /** Share of the query's usable frames that some compared frame is near, in percent. */
  queryPercent: number
  /** Share of the compared video's usable frames that some query frame is near, in percent. */
  comparedPercent: number
  isMatch: boolean
}

export interface VpdqMatchOptions {
  distance?: number
  quality?: number
  /** Percent of the query's frames that must match. */
  queryThreshold?: number
  /** Percent of the compared video's frames that must match. */
  comparedThreshold?: number
  /**
   * `pte` (default): python-threatexchange, as above. `cpp`: the reference
   * C++ brute-force matcher, which keeps duplicate frames and needs distance
   * < 31 rather than <= 31. Offered so results can be compared with it.
   */
  rule?: 'pte' | 'cpp'
}

/**
 * python-threatexchange's rule, the one providers run in production: dedupe
 * frames by exact hash, drop frames of quality < 50, count a frame as matched
 * when some frame of the other video is within distance <= 31, and call it a
 * match when at least 80% of the query's frames matched (compared: >= 0%).
 * We put the 80% on the query on purpose, as providers' matchers do: the
 * query is the survivor's video, and a copy on a platform may be a clip of it.
 */
export function matchVpdq(query: readonly VpdqFrame[], compared: readonly VpdqFrame[], options: VpdqMatchOptions = {}): VpdqMatch {
  const distance = options.distance ?? PDQ_MATCH_DISTANCE
  const quality = options.quality ?? LOW_QUALITY_THRESHOLD
  const cpp = options.rule === 'cpp'
  const usable = (frames: readonly VpdqFrame[]) => {
    const hashes = frames.filter((f) => f.quality >= quality).map((f) => f.pdq)
    return cpp ? hashes : [...new Set(hashes)]
  }
  const near = (a: string, b: string) => (cpp ? hammingDistance(a, b) < distance : hammingDistance(a, b) <= distance)
  const q = usable(query)
  const c = usable(compared)
  const matchedShare = (from: string[], to: string[]) =>
    from.length === 0 ? 0 : (from.filter((a) => to.some((b) => near(a, b))).length * 100) / from.length
  const queryPercent = matchedShare(q, c)
  const comparedPercent = matchedShare(c, q)
  return {
    queryPercent,
    comparedPercent,
    isMatch: queryPercent >= (options.queryThreshold ?? 80) && comparedPercent >= (options.comparedThreshold ?? 0),
  }
}
