import type { ComponentType } from 'react'
import { ErrorBoundary } from './components/ErrorBoundary'
import { WsBanner } from './components/WsBanner'
import { DiagnosticsPage } from './pages/DiagnosticsPage'
import { DocsPage } from './pages/DocsPage'
import { EventsPage } from './pages/EventsPage'
import { HealthPage } from './pages/HealthPage'
import { OverviewPage } from './pages/OverviewPage'
import { StatusPage } from './pages/StatusPage'
import { Link, usePath } from './router'

interface Route {
  path: string
  title: string
  page: ComponentType
  /** Served by the bridge itself: the link loads a new page instead of routing in the app. */
  external?: boolean
}

export const ROUTES: Route[] = [
  { path: '/', title: 'Overview', page: OverviewPage },
  { path: '/health', title: 'Health', page: HealthPage },
  { path: '/status', title: 'Status', page: StatusPage },
  { path: '/diagnostics', title: 'Diagnostics', page: DiagnosticsPage },
  { path: '/events', title: 'Events', page: EventsPage },
  { path: '/docs', title: 'API docs', page: DocsPage, external: true },
]

function NotFound() {
  return (
    <section className="card" data-testid="page-not-found">
      <h2>Page not found</h2>
      <p>
        <Link href="/">Back to the overview</Link>
      </p>
    </section>
  )
}

/** The dashboard: navigation, connection banner and the page of the current route. */
export function App() {
  const path = usePath().replace(/\/+$/, '') || '/'
  const route = ROUTES.find((r) => r.path === path)
  const Page = route?.page ?? NotFound
  return (
    <div className="app">
      <header className="topbar">
        <h1>Reachy Mini</h1>
        <nav>
          {ROUTES.map((r) =>
            r.external ? (
              <a key={r.path} href={r.path}>
                {r.title}
              </a>
            ) : (
              <Link key={r.path} href={r.path} aria-current={r.path === path ? 'page' : undefined}>
                {r.title}
              </Link>
            ),
          )}
        </nav>
      </header>
      <WsBanner />
      <main>
        <ErrorBoundary resetKey={path}>
          <Page />
        </ErrorBoundary>
      </main>
    </div>
  )
}
