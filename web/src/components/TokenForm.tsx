import { useState, type FormEvent } from 'react'

/** Ask for the API token that unlocks the controls, or offer to forget it. */
export function TokenForm({ token, onToken }: { token: string; onToken: (token: string) => void }) {
  const [draft, setDraft] = useState('')
  if (token)
    return (
      <div className="row">
        <span className="muted">Controls unlocked for this tab.</span>
        <button type="button" data-testid="token-clear" onClick={() => onToken('')}>
          Lock
        </button>
      </div>
    )
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (draft.trim()) onToken(draft.trim())
  }
  return (
    <form className="row" onSubmit={submit}>
      <label htmlFor="api-token">API token</label>
      <input
        id="api-token"
        type="password"
        autoComplete="off"
        value={draft}
        data-testid="token-input"
        onChange={(e) => setDraft(e.target.value)}
      />
      <button type="submit" className="primary" data-testid="token-submit" disabled={!draft.trim()}>
        Unlock controls
      </button>
    </form>
  )
}
