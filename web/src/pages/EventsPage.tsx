import { useRef, useState, type FormEvent } from 'react'
import type { EventsQuery } from '../api/client'
import { TelemetryChart } from '../components/TelemetryChart'
import { formatTime, levelName, LEVEL_NAMES } from '../format'
import { useEvents } from '../hooks/useEvents'
import { useTelemetry } from '../hooks/useTelemetry'

const PAGE_SIZE = 25
const JOINTS = [
  'yaw_body',
  'stewart_1',
  'stewart_2',
  'stewart_3',
  'stewart_4',
  'stewart_5',
  'stewart_6',
  'right_antenna',
  'left_antenna',
]
const WINDOWS: [string, number][] = [
  ['5 min', 300],
  ['1 h', 3600],
  ['24 h', 86400],
]

/** The event log, filtered by level and source and paged, and recorded telemetry per joint. */
export function EventsPage() {
  return (
    <div className="grid" data-testid="page-events">
      <EventLog />
      <TelemetrySection />
    </div>
  )
}

function EventLog() {
  const [minLevel, setMinLevel] = useState(0)
  const [source, setSource] = useState('')
  const [sourceDraft, setSourceDraft] = useState('')
  // Sources seen so far, offered as suggestions (the server filters on the exact name).
  const seenSources = useRef(new Set<string>())
  const [offset, setOffset] = useState(0)
  const query: EventsQuery = { limit: PAGE_SIZE, offset }
  if (minLevel > 0) query.min_level = minLevel
  if (source) query.source = source
  const events = useEvents(query)
  const page = events.data
  const total = page?.total ?? 0
  for (const e of page?.items ?? []) seenSources.current.add(e.source)
  const filter = (apply: () => void) => {
    apply()
    setOffset(0)
  }
  const applySource = (e: FormEvent) => {
    e.preventDefault()
    filter(() => setSource(sourceDraft.trim()))
  }
  return (
    <section className="card wide">
      <h2>Events</h2>
      <div className="row" style={{ marginBottom: 8 }}>
        <label>
          Level ≥{' '}
          <select
            value={minLevel}
            data-testid="events-level"
            onChange={(e) => filter(() => setMinLevel(Number(e.target.value)))}
          >
            {LEVEL_NAMES.map((n, i) => (
              <option key={n} value={i}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <form className="row" style={{ gap: 4 }} onSubmit={applySource}>
          <label htmlFor="events-source">Source</label>
          <input
            id="events-source"
            list="events-sources"
            placeholder="any"
            value={sourceDraft}
            data-testid="events-source"
            onChange={(e) => setSourceDraft(e.target.value)}
          />
          <datalist id="events-sources">
            {[...seenSources.current].sort().map((s) => (
              <option key={s} value={s} />
            ))}
          </datalist>
          <button type="submit" data-testid="events-filter">
            Filter
          </button>
        </form>
        <span className="muted" data-testid="events-range">
          {total ? `${offset + 1}–${Math.min(offset + PAGE_SIZE, total)} of ${total}` : 'no events'}
        </span>
        <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}>
          Newer
        </button>
        <button
          type="button"
          data-testid="events-older"
          disabled={offset + PAGE_SIZE >= total}
          onClick={() => setOffset(offset + PAGE_SIZE)}
        >
          Older
        </button>
      </div>
      {events.error && <p className="error">{events.error}</p>}
      <div style={{ overflowX: 'auto' }}>
        <table data-testid="events-table">
          <thead>
            <tr>
              <th>Time</th>
              <th>Level</th>
              <th>Source</th>
              <th>Kind</th>
              <th>Message</th>
            </tr>
          </thead>
          <tbody>
            {page?.items.map((e) => (
              <tr key={e.id} data-testid="event-row">
                <td className="num">{formatTime(e.time)}</td>
                <td>
                  <span className={`badge level-${e.level}`}>{levelName(e.level)}</span>
                </td>
                <td>{e.source}</td>
                <td>{e.kind}</td>
                <td>{e.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  )
}

function TelemetrySection() {
  const [joint, setJoint] = useState('right_antenna')
  const [windowS, setWindowS] = useState(300)
  const telemetry = useTelemetry(joint, windowS)
  const points = telemetry.data?.joints[joint] ?? []
  return (
    <section className="card wide">
      <h2>Telemetry history</h2>
      <div className="row" style={{ marginBottom: 8 }}>
        <label>
          Joint{' '}
          <select value={joint} data-testid="telemetry-joint" onChange={(e) => setJoint(e.target.value)}>
            {JOINTS.map((j) => (
              <option key={j}>{j}</option>
            ))}
          </select>
        </label>
        <label>
          Window{' '}
          <select value={windowS} onChange={(e) => setWindowS(Number(e.target.value))}>
            {WINDOWS.map(([label, s]) => (
              <option key={s} value={s}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <span className="muted">{points.length} points, rad</span>
      </div>
      {telemetry.error ? <p className="error">{telemetry.error}</p> : <TelemetryChart points={points} />}
    </section>
  )
}
