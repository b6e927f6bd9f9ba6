// Delivery outcomes per minute as stacked bars: delivered, filtered, retrying, and failed split by category.
import type { DeliveryMetrics } from '../api'

export interface Series {
  key: string
  label: string
  color: string
}

const BASE: Series[] = [
  { key: 'delivered', label: 'Delivered', color: '#2f9e44' },
  { key: 'filtered', label: 'Filtered', color: '#868e96' },
  { key: 'retrying', label: 'Retrying', color: '#f08c00' },
]
const FAILED_COLORS = ['#e03131', '#c2255c', '#9c36b5', '#a61e4d', '#862e9c']

/** One series per outcome, failures one per category, so the chart says why events failed. */
export function seriesOf(metrics: DeliveryMetrics): { series: Series[]; seriesKey: (status: string, detail: string) => string } {
  const categories = [...new Set(metrics.buckets.filter((b) => b.status === 'failed').map((b) => b.detail || 'unknown'))].sort()
  const failed = categories.map((c, i) => ({ key: `failed:${c}`, label: `Failed: ${c}`, color: FAILED_COLORS[i % FAILED_COLORS.length]! }))
  return { series: [...BASE, ...failed], seriesKey: (status, detail) => (status === 'failed' ? `failed:${detail || 'unknown'}` : status) }
}

export function DeliveryChart({ metrics, from, to }: { metrics: DeliveryMetrics; from: Date; to: Date }) {
  const { series, seriesKey } = seriesOf(metrics)
  const minutes: string[] = []
  for (let t = new Date(Math.floor(from.getTime() / 60000) * 60000); t <= to; t = new Date(t.getTime() + 60000)) minutes.push(t.toISOString().slice(0, 16))
  const counts = new Map<string, Map<string, number>>()
  for (const b of metrics.buckets) {
    const m = counts.get(b.bucket) ?? new Map<string, number>()
    const k = seriesKey(b.status, b.detail)
    m.set(k, (m.get(k) ?? 0) + b.count)
    counts.set(b.bucket, m)
  }
  const max = Math.max(1, ...minutes.map((m) => [...(counts.get(m)?.values() ?? [])].reduce((a, b) => a + b, 0)))
  const W = 900
  const H = 180
  const barW = W / minutes.length
  const total = metrics.buckets.reduce((a, b) => a + b.count, 0)
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H + 20}`} role="img" aria-label={`Delivery outcomes per minute: ${total} events in the range`} preserveAspectRatio="none">
        <line x1="0" x2={W} y1={H} y2={H} stroke="#ced4da" />
        {minutes.map((m, i) => {
          let y = H
          return (
            <g key={m}>
              {series.map((s) => {
                const n = counts.get(m)?.get(s.key) ?? 0
                if (n === 0) return null
                const h = (n / max) * (H - 10)
                y -= h
                return (
                  <rect key={s.key} x={i * barW + 1} y={y} width={Math.max(barW - 2, 1)} height={h} fill={s.color}>
                    <title>{`${m.slice(11)} UTC · ${s.label}: ${n}`}</title>
                  </rect>
                )
              })}
            </g>
          )
        })}
        <text x="2" y={H + 15} fontSize="11" fill="#495057">
          {minutes[0]?.slice(11)} UTC
        </text>
        <text x={W - 2} y={H + 15} fontSize="11" fill="#495057" textAnchor="end">
          {minutes.at(-1)?.slice(11)} UTC
        </text>
        {total === 0 ? (
          <text x={W / 2} y={H / 2} fontSize="14" fill="#5c6670" textAnchor="middle">
            No events in this range yet
          </text>
        ) : (
          <text x="2" y="10" fontSize="11" fill="#495057">
            {max}/min
          </text>
        )}
      </svg>
      <figcaption className="legend">
        {series.map((s) => (
          <span key={s.key}>
            <span className="swatch" style={{ background: s.color }} aria-hidden="true" /> {s.label}
          </span>
        ))}
      </figcaption>
    </figure>
  )
}
