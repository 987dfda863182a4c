/**
 * Hash one file on this machine with the shared hashing engine: images are
 * decoded with sharp, videos with FFmpeg (when it is on PATH). Used by
 * `takeback hash` and by the provider's `takeback scan`.
 */
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { fileTypeFromFile } from 'file-type'
import sharp, { type OutputInfo } from 'sharp'
import { digestChunks, type FileDigests } from '../hashing/digest'
import { isLowQuality, pdqFromPixels, pdqFromRgb, type PdqChannels } from '../hashing/pdq'
import { DEFAULT_SECONDS_PER_HASH, frameMod, type VpdqFrame } from '../hashing/vpdq'

export interface ImageHashes extends FileDigests {
  file: string
  kind: 'image'
  bytes: number
  width: number
  height: number
  pdq: string
  quality: number
  lowQuality: boolean
  dihedral: string[]
}

export interface VideoHashes extends FileDigests {
  file: string
  kind: 'video'
  bytes: number
  width: number | null
  height: number | null
  fps: number | null
  vpdq: VpdqFrame[] | null
  note?: string
}

export interface HashError {
  file: string
  error: string
}

export type FileHashes = ImageHashes | VideoHashes

export interface HashOptions {
  /** Apply EXIF orientation (images) or the rotation tag (videos), as browsers display them. */
  orient?: boolean
  secondsPerHash?: number
  onProgress?: (fraction: number) => void
}

export class UnreadableFile extends Error {}

const UNREADABLE = 'This file could not be read as an image or video.'

/** What the file's bytes say it is; its name is not trusted. */
async function sniff(file: string): Promise<'image' | 'video'> {
  const type = await fileTypeFromFile(file).catch(() => undefined)
  if (type?.mime.startsWith('image/')) return 'image'
  if (type?.mime.startsWith('video/')) return 'video'
  throw new UnreadableFile(
    type ? `${UNREADABLE} It looks like ${type.mime}, which is neither.` : `${UNREADABLE} Its contents are not a known image or video format.`,
  )
}

function digestFile(file: string, onBytes?: (done: number) => void): Promise<FileDigests> {
  return digestChunks(fs.createReadStream(file, { highWaterMark: 1 << 20 }), onBytes)
}

export async function hashFile(file: string, options: HashOptions = {}): Promise<FileHashes> {
  let stat: fs.Stats
  try {
    stat = fs.statSync(file)
  } catch {
    throw new UnreadableFile('No such file, or it cannot be opened.')
  }
  if (!stat.isFile()) throw new UnreadableFile('This is not a regular file.')
  if (stat.size === 0) throw new UnreadableFile(`${UNREADABLE} It is empty.`)
  const kind = await sniff(file)
  return kind === 'image' ? hashImage(file, stat.size, options) : hashVideo(file, stat.size, options)
}

async function hashImage(file: string, bytes: number, options: HashOptions): Promise<ImageHashes> {
  const digests = digestFile(file)
  let decoded: { data: Buffer; info: OutputInfo }
  try {
    // Decoded as the reference does: embedded ICC profiles ignored, EXIF
    // orientation ignored unless asked for, every decoder warning an error
    // (a truncated file must not be hashed as if it were whole).
    decoded = await sharp(file, { failOn: 'warning', ignoreIcc: true, limitInputPixels: 200_000_000, autoOrient: !!options.orient })
      .raw()
      .toBuffer({ resolveWithObject: true })
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? ''
    if (/heif|heic/i.test(reason)) {
      throw new UnreadableFile(
        'This HEIC/HEIF photo could not be decoded here. Export it as JPEG (on an iPhone: Settings > Camera > Formats > Most Compatible) and hash that.',
      )
    }
    throw new UnreadableFile(`This file could not be read as an image: it is damaged, incomplete or not supported (${reason}).`)
  }
  const { data, info } = decoded
  options.onProgress?.(0.5)
  const channels = info.channels === 2 ? 1 : (info.channels as PdqChannels)
  const pixels = info.channels === 2 ? dropAlpha(data) : data
  const pdq = pdqFromPixels(pixels, info.width, info.height, channels)
  options.onProgress?.(1)
  return {
    file,
    kind: 'image',
    bytes,
    width: info.width,
    height: info.height,
    ...(await digests),
    pdq: pdq.hash,
    quality: pdq.quality,
    lowQuality: isLowQuality(pdq.quality),
    dihedral: pdq.dihedral,
  }
}

/** Grey + alpha to grey: the reference drops alpha and keeps grey as luma. */
function dropAlpha(greyAlpha: Buffer): Uint8Array {
  const out = new Uint8Array(greyAlpha.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = greyAlpha[i * 2]!
  return out
}

export function ffmpegAvailable(): boolean {
  const probe = spawnSync('ffprobe', ['-version'], { stdio: 'ignore' })
  const mpeg = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' })
  return probe.status === 0 && mpeg.status === 0
}

interface VideoInfo {
  width: number
  height: number
  fps: number
  frames: number | null
}

function parseRate(rate: string | undefined): number {
  const [n, d] = (rate ?? '').split('/').map(Number)
  return n && d ? n / d : 0
}

function probeVideo(file: string): VideoInfo {
  const out = spawnSync(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height,avg_frame_rate,r_frame_rate,nb_frames', '-of', 'json', file],
    { encoding: 'utf8' },
  )
  const stream = out.status === 0 ? (JSON.parse(out.stdout) as { streams?: Record<string, string | number>[] }).streams?.[0] : undefined
  if (!stream) throw new UnreadableFile(`${UNREADABLE} FFmpeg found no video stream in it.`)
  // The reference takes avg_frame_rate and falls back to r_frame_rate.
  const fps = parseRate(String(stream.avg_frame_rate)) || parseRate(String(stream.r_frame_rate))
  if (!fps) throw new UnreadableFile(`${UNREADABLE} Its frame rate is unknown.`)
  const frames = Number(stream.nb_frames)
  return { width: Number(stream.width), height: Number(stream.height), fps, frames: Number.isFinite(frames) && frames > 0 ? frames : null }
}

async function hashVideo(file: string, bytes: number, options: HashOptions): Promise<VideoHashes> {
  const digests = digestFile(file, (done) => options.onProgress?.((0.5 * done) / bytes))
  const base = { file, kind: 'video' as const, bytes }
  if (!ffmpegAvailable()) {
    return {
      ...base,
      ...(await digests),
      width: null,
      height: null,
      fps: null,
      vpdq: null,
      note: 'vPDQ needs FFmpeg, which is not on PATH. Install it (Debian/Ubuntu: apt-get install ffmpeg) to add frame hashes.',
    }
  }
  const info = probeVideo(file)
  const vpdq = await videoFrames(file, info, options)
  return { ...base, ...(await digests), width: info.width, height: info.height, fps: info.fps, vpdq }
}

/**
 * Decode with FFmpeg and hash every frameMod-th frame at native size, converted
 * to RGB24 with swscale's area filter, as the reference vPDQ hasher does.
 * Only the kept frames leave FFmpeg, so the pipe carries 1 frame in frameMod.
 */
async function videoFrames(file: string, info: VideoInfo, options: HashOptions): Promise<VpdqFrame[]> {
  const mod = frameMod(info.fps, options.secondsPerHash ?? DEFAULT_SECONDS_PER_HASH)
  const args = [
    '-v', 'error',
    ...(options.orient ? [] : ['-noautorotate']),
    '-i', file,
    '-map', '0:v:0',
    '-vf', `select='not(mod(n\\,${mod}))'`,
    '-fps_mode', 'passthrough',
    '-sws_flags', 'area',
    '-pix_fmt', 'rgb24',
    '-f', 'rawvideo',
    'pipe:1',
  ]
  const child = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)))

  // With --orient a rotated video comes out with width and height swapped; the
  // frame size is the same either way.
  const frameBytes = info.width * info.height * 3
  const frame = Buffer.allocUnsafe(frameBytes)
  let filled = 0
  let kept = 0
  const frames: VpdqFrame[] = []
  const swap = options.orient && isRotatedQuarter(file)
  const [w, h] = swap ? [info.height, info.width] : [info.width, info.height]
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
    let offset = 0
    while (offset < chunk.length) {
      const n = Math.min(frameBytes - filled, chunk.length - offset)
      chunk.copy(frame, filled, offset, offset + n)
      filled += n
      offset += n
      if (filled === frameBytes) {
        const number = kept * mod
        const { hash, quality } = pdqFromRgb(frame, w, h)
        frames.push({ frame: number, quality, pdq: hash, timestamp: number / info.fps })
        kept++
        filled = 0
        if (info.frames) options.onProgress?.(0.5 + (0.5 * Math.min(number, info.frames)) / info.frames)
      }
    }
  }
  const code = await exited
  if (code !== 0 || filled !== 0) {
    throw new UnreadableFile(`This video could not be decoded to the end: ${stderr.trim().split('\n').pop() ?? `FFmpeg exited with ${code}`}`)
  }
  return frames
}

function isRotatedQuarter(file: string): boolean {
  const out = spawnSync(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream_side_data=rotation:stream_tags=rotate', '-of', 'json', file],
    { encoding: 'utf8' },
  )
  const rotation = out.stdout.match(/"rotat(?:ion|e)"\s*:\s*"?(-?\d+)/)
  return rotation ? Math.abs(Number(rotation[1])) % 180 === 90 : false
}
