/** Point to the bridge's own API documentation (served by FastAPI, outside this app). */
export function DocsPage() {
  return (
    <section className="card" data-testid="page-docs">
      <h2>API documentation</h2>
      <p>The bridge documents its HTTP API itself:</p>
      <ul>
        <li>
          <a href="/docs" data-testid="docs-link">
            Interactive API docs (Swagger UI)
          </a>
        </li>
        <li>
          <a href="/redoc">Reference (ReDoc)</a>
        </li>
        <li>
          <a href="/openapi.json">OpenAPI schema</a>
        </li>
      </ul>
      <p className="muted">
        The WebSocket protocol at <code>/ws</code> is described in <code>docs/websocket.md</code>.
      </p>
    </section>
  )
}
