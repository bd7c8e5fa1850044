import type { ComponentType } from 'react'
import { ErrorBoundary } from './components/ErrorBoundary'
import { WsBanner } from './components/WsBanner'
import { OverviewPage } from './pages/OverviewPage'
import { Link, usePath } from './router'

interface Route {
  path: string
  title: string
  page: ComponentType
}

export const ROUTES: Route[] = [{ path: '/', title: 'Overview', page: OverviewPage }]

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
          {ROUTES.map((r) => (
            <Link key={r.path} href={r.path} aria-current={r.path === path ? 'page' : undefined}>
              {r.title}
            </Link>
          ))}
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
