// Sign-in, the frame around every screen, and the routes. Screens with the code editor are loaded on
// demand, so the first screen needs only React and this file.
import { Suspense, lazy, useEffect, useMemo, useState, type FormEvent } from 'react'
import { Api, type Me } from './api'
import { ErrorNote, Field, describe } from './components/ui'
import { Link, navigate, usePath } from './router'
import { SessionContext, forgetToken, storeToken, storedToken, type Session } from './session'

const FunctionsCatalog = lazy(() => import('./screens/FunctionsCatalog'))
const FunctionEditor = lazy(() => import('./screens/FunctionEditor'))
const Sources = lazy(() => import('./screens/Sources'))
const Destinations = lazy(() => import('./screens/Destinations'))
const DestinationDetail = lazy(() => import('./screens/DestinationDetail'))
const AuditTrail = lazy(() => import('./screens/AuditTrail'))

/** Marks when the first screen can take input, for the browser suite's time-to-interactive figure. */
function useFirstScreenMark() {
  useEffect(() => {
    if (performance.getEntriesByName('insertfn:interactive').length === 0) performance.mark('insertfn:interactive')
  }, [])
}

function SignIn({ onSignedIn, problem }: { onSignedIn: (token: string, me: Me) => void; problem?: string }) {
  useFirstScreenMark()
  const [token, setToken] = useState('')
  const [error, setError] = useState<string | undefined>(problem)
  const [busy, setBusy] = useState(false)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      const me = await new Api(token.trim()).me()
      onSignedIn(token.trim(), me)
    } catch (err) {
      setError(describe(err) === 'this token is not valid' ? 'This token is not valid. Check it and try again.' : describe(err))
    } finally {
      setBusy(false)
    }
  }
  return (
    <main className="signin">
      <form onSubmit={(e) => void submit(e)} className="card signin-card" aria-labelledby="signin-title">
        <h1 id="signin-title">
          <span className="logo">ƒ</span> insertfn
        </h1>
        <p className="muted">Sign in with an API token. The first start prints the owner token, or sets it from INSERTFN_ADMIN_TOKEN.</p>
        <Field label="API token">
          <input type="password" autoComplete="current-password" value={token} onChange={(e) => setToken(e.target.value)} required autoFocus aria-describedby={error ? 'signin-error' : undefined} />
        </Field>
        <ErrorNote error={error} id="signin-error" />
        <button type="submit" className="primary" disabled={busy || token.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  )
}

function Screen({ path }: { path: string }) {
  const parts = path.split('/').filter(Boolean)
  const [section, id] = parts
  if (section === 'functions' && id !== undefined) return <FunctionEditor key={id} functionId={id === 'new' ? undefined : id} />
  if (section === 'sources') return <Sources />
  if (section === 'destinations' && id !== undefined) return <DestinationDetail key={id} destinationId={id} />
  if (section === 'destinations') return <Destinations />
  if (section === 'audit') return <AuditTrail />
  return <FunctionsCatalog />
}

function Frame({ session, path }: { session: Session; path: string }) {
  useFirstScreenMark()
  const nav = [
    { href: '/functions', label: 'Functions', show: session.can('functions:read') },
    { href: '/sources', label: 'Sources', show: session.can('sources:read') },
    { href: '/destinations', label: 'Destinations', show: session.can('sources:read') },
    { href: '/audit', label: 'Audit trail', show: session.can('audit:read') },
  ]
  const current = '/' + (path.split('/')[1] || 'functions')
  return (
    <div className="frame">
      <a href="#main" className="skip">
        Skip to content
      </a>
      <header className="topbar">
        <Link href="/functions" className="brand">
          <span className="logo">ƒ</span> insertfn
        </Link>
        <nav aria-label="Main">
          {nav
            .filter((n) => n.show)
            .map((n) => (
              <Link key={n.href} href={n.href} aria-current={current === n.href ? 'page' : undefined}>
                {n.label}
              </Link>
            ))}
        </nav>
        <div className="who">
          <span>{session.me.token.name === session.me.token.roles.join(', ') ? session.me.token.name : `${session.me.token.name} · ${session.me.token.roles.join(', ')}`}</span>
          <button type="button" className="small" onClick={session.signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" className="content">
        <Suspense fallback={<p className="muted">Loading…</p>}>
          <Screen path={path} />
        </Suspense>
      </main>
    </div>
  )
}

export function App() {
  const path = usePath()
  const [auth, setAuth] = useState<{ token: string; me: Me } | undefined>(undefined)
  const [checking, setChecking] = useState(() => storedToken() !== null)
  const [problem, setProblem] = useState<string | undefined>(undefined)

  // A token kept from an earlier visit is checked once; a revoked one sends the user back to sign in.
  useEffect(() => {
    const token = storedToken()
    if (token === null) return
    new Api(token).me().then(
      (me) => (setAuth({ token, me }), setChecking(false)),
      (err: unknown) => {
        forgetToken()
        setProblem(`Please sign in again: ${describe(err)}`)
        setChecking(false)
      },
    )
  }, [])

  const session = useMemo<Session | undefined>(() => {
    if (auth === undefined) return undefined
    const granted = new Set(auth.me.permissions)
    return {
      api: new Api(auth.token),
      me: auth.me,
      can: (...ps) => ps.every((p) => granted.has(p)),
      signOut: () => {
        forgetToken()
        setAuth(undefined)
        navigate('/')
      },
    }
  }, [auth])

  if (checking) return null
  if (session === undefined) {
    return (
      <SignIn
        problem={problem}
        onSignedIn={(token, me) => {
          storeToken(token)
          setAuth({ token, me })
        }}
      />
    )
  }
  return (
    <SessionContext.Provider value={session}>
      <Frame session={session} path={path} />
    </SessionContext.Provider>
  )
}
