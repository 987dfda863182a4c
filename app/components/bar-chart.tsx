/**
 * A horizontal bar chart drawn as plain SVG on the server.
 *
 * Written by hand rather than with a chart library: it is a few <rect>s and
 * <text>s, so a dependency would add weight, a client bundle and (for most
 * libraries) script or a CDN that the Content-Security-Policy would have to
 * allow, for nothing this needs. It renders the same without JavaScript.
 *
 * Accessible: role="img" named by its <title> and described by its <desc>, and the
 * page shows the same figures in a table beside it, which is what a screen
 * reader user reads; the bars themselves are hidden from the accessibility tree.
 */
import { useId } from 'react'

export interface Bar {
  label: string
  /** 0..1; null draws no bar and the `emptyText` label. */
  value: number | null
}

/**
 * Layout in CSS pixels; exported so tests can check bar sizes. The SVG has no
 * viewBox, so nothing is scaled: its text is `fontSize` px on a 375 px phone
 * and on a desktop alike. Each provider's name and figure sit on a line of
 * their own above its bar, so the bar can use the whole width.
 */
export const CHART = {
  fontSize: 14,
  /** The line holding the name (left) and the figure (right). */
  labelHeight: 20,
  barHeight: 14,
  gap: 10,
  padding: 2,
  /** Longer names are cut, so a name never runs into its figure at 375 px. */
  maxLabel: 32,
} as const

/** One provider's band: its label line, its bar, and the gap after it. */
const STEP = CHART.labelHeight + CHART.barHeight + CHART.gap

/** The width of a bar for a value of 0..1 (clamped), in percent of the chart's width, rounded to a tenth. */
export function barWidth(value: number | null): number {
  if (value === null || !Number.isFinite(value)) return 0
  return Math.round(Math.min(1, Math.max(0, value)) * 1000) / 10
}

/** "67%": the value label beside each bar. */
export function percentLabel(value: number | null, emptyText: string): string {
  return value === null ? emptyText : `${Math.round(value * 100)}%`
}

export function BarChart({ title, description, bars, emptyText = '–' }: { title: string; description: string; bars: readonly Bar[]; emptyText?: string }) {
  const id = useId()
  const titleId = `${id}-title`
  const descId = `${id}-desc`
  const { fontSize, labelHeight, barHeight, gap, padding, maxLabel } = CHART
  const height = padding * 2 + Math.max(1, bars.length) * STEP - gap
  return (
    <svg
      role="img"
      aria-labelledby={titleId}
      aria-describedby={descId}
      // No style attribute: the Content-Security-Policy (style-src 'self') would drop it. Width comes from .bar-chart.
      width="100%"
      height={height}
      className="bar-chart"
    >
      <title id={titleId}>{title}</title>
      <desc id={descId}>{description}</desc>
      {bars.map((bar, i) => {
        const top = padding + i * STEP
        const baseline = top + labelHeight - 6
        const barY = top + labelHeight
        const w = barWidth(bar.value)
        return (
          <g key={`${i}-${bar.label}`} data-bar={i}>
            <text x={0} y={baseline} fontSize={fontSize} fill="currentColor">
              {bar.label.length > maxLabel ? `${bar.label.slice(0, maxLabel - 1)}…` : bar.label}
            </text>
            <text x="100%" y={baseline} textAnchor="end" fontSize={fontSize} fontWeight={600} fill="currentColor">
              {percentLabel(bar.value, emptyText)}
            </text>
            {/* The whole width, faint, so a short bar reads as short rather than as the whole. */}
            <rect className="bar-track" x={0} y={barY} width="100%" height={barHeight} fill="currentColor" fillOpacity={0.12} />
            <rect className="bar" x={0} y={barY} width={`${w}%`} height={barHeight} fill="currentColor" fillOpacity={0.7} />
          </g>
        )
      })}
    </svg>
  )
}
