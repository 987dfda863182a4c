/**
 * Progress on standard error for long runs: one line rewritten in place, and
 * only when standard error is a terminal, so piped output stays clean JSON.
 */
export class Progress {
  private readonly tty = process.stderr.isTTY === true
  private label = ''
  private lastDraw = 0

  constructor(private readonly total: number) {}

  start(index: number, file: string) {
    this.label = `[${index + 1}/${this.total}] ${file.length > 50 ? '…' + file.slice(-49) : file}`
    this.draw(0, true)
  }

  update(fraction: number) {
    this.draw(fraction, false)
  }

  private draw(fraction: number, force: boolean) {
    if (!this.tty) return
    const now = Date.now()
    if (!force && now - this.lastDraw < 100) return
    this.lastDraw = now
    const width = 20
    const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width)
    process.stderr.write(`\r\x1b[2K${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round(fraction * 100)}%`)
  }

  clear() {
    if (this.tty) process.stderr.write('\r\x1b[2K')
  }

  done(failed: number) {
    if (!this.tty) return
    const ok = this.total - failed
    process.stderr.write(`${ok} of ${this.total} file${this.total === 1 ? '' : 's'} hashed${failed ? `, ${failed} could not be read` : ''}.\n`)
  }
}
