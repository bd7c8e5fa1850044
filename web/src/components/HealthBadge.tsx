import type { Health } from '../api/client'

/** Show the overall health word with its colour. */
export function HealthBadge({ health, error }: { health: Health | null; error?: string | null }) {
  if (!health)
    return (
      <span className="badge level-3" data-testid="health-status">
        {error ? 'unreachable' : '…'}
      </span>
    )
  const level = health.status === 'healthy' ? 0 : health.status === 'degraded' ? 1 : 2
  return (
    <span className={`badge level-${level}`} data-testid="health-status">
      {health.status}
    </span>
  )
}
