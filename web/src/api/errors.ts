/** Turn an error body of the bridge into one sentence a person can read. */
export function describeApiError(status: number, body: unknown): string {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>
    if (typeof b.message === 'string' && b.message) {
      return typeof b.error === 'string' && b.error ? `${b.error}: ${b.message}` : b.message
    }
    const detail = b.detail
    if (typeof detail === 'string') return detail
    if (Array.isArray(detail)) {
      const parts = detail.map((d) => {
        if (d && typeof d === 'object') {
          const item = d as { loc?: unknown; msg?: unknown }
          const loc = Array.isArray(item.loc) ? item.loc.filter((l) => l !== 'body').join('.') : ''
          const msg = typeof item.msg === 'string' ? item.msg : JSON.stringify(d)
          return loc ? `${loc}: ${msg}` : msg
        }
        return String(d)
      })
      if (parts.length) return parts.join('; ')
    }
    if (detail && typeof detail === 'object') return describeApiError(status, detail)
    if (typeof b.error === 'string' && b.error) return b.error
  }
  if (typeof body === 'string' && body) return `HTTP ${status}: ${body}`
  return `HTTP ${status}`
}
