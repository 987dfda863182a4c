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

/** Layout in SVG user units; exported so tests can check bar sizes. */
export const CHART = {
  labelWidth: 160,
  plotWidth: 300,
  valueWidth: 60,
  barHeight: 20,
  gap: 8,
  padding: 8,
} as const

/** The width of a bar for a value of 0..1 (clamped), rounded to a tenth of a unit. */
export function barWidth(value: number | null): number {
  if (value === null || !Number.isFinite(value)) return 0
  return Math.round(Math.min(1, Math.max(0, value)) * CHART.plotWidth * 10) / 10
}

/** "67%": the value label beside each bar. */
export function percentLabel(value: number | null, emptyText: string): string {
  return value === null ? emptyText : `${Math.round(value * 100)}%`
}

export function BarChart({ title, description, bars, emptyText = '–' }: { title: string; description: string; bars: readonly Bar[]; emptyText?: string }) {
  const id = useId()
  const titleId = `${id}-title`
  const descId = `${id}-desc`
  const { labelWidth, plotWidth, valueWidth, barHeight, gap, padding } = CHART
  const width = labelWidth + plotWidth + valueWidth
  const height = padding * 2 + Math.max(1, bars.length) * (barHeight + gap) - gap
  return (
    <svg
      role="img"
      aria-labelledby={titleId}
      aria-describedby={descId}
      viewBox={`0 0 ${width} ${height}`}
      // No style attribute: the Content-Security-Policy (style-src 'self') would drop it.
      width="100%"
      className="bar-chart"
    >
      <title id={titleId}>{title}</title>
      <desc id={descId}>{description}</desc>
      {/* The 100% line, so a short bar reads as short rather than as the whole. */}
      <line x1={labelWidth + plotWidth} x2={labelWidth + plotWidth} y1={0} y2={height} stroke="currentColor" strokeOpacity={0.3} />
      {bars.map((bar, i) => {
        const y = padding + i * (barHeight + gap)
        const w = barWidth(bar.value)
        return (
          <g key={`${i}-${bar.label}`} data-bar={i}>
            <text x={labelWidth - 6} y={y + barHeight / 2} textAnchor="end" dominantBaseline="middle" fontSize={12} fill="currentColor">
              {bar.label.length > 24 ? `${bar.label.slice(0, 23)}…` : bar.label}
            </text>
            <rect className="bar" x={labelWidth} y={y} width={w} height={barHeight} fill="currentColor" fillOpacity={0.7} />
            <text x={labelWidth + w + 4} y={y + barHeight / 2} dominantBaseline="middle" fontSize={12} fill="currentColor">
              {percentLabel(bar.value, emptyText)}
            </text>
          </g>
        )
      })}
    </svg>
  )
}
