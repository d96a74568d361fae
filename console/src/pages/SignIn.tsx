// Sign-in with a client id and secret (as `syncplane credentials create` or the admin credential
// file gives them); the secret stays in this page.

import { useState } from "react";
import { signIn, type Session } from "../session.js";
import { ErrorBanner } from "../ui.js";

export function SignInPage({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [clientId, setClientId] = useState("");
  const [clientSecret, setClientSecret] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  return (
    <section aria-labelledby="signin-title" className="signin">
      <h1 id="signin-title">Sign in to syncplane</h1>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          setBusy(true);
          setError(null);
          signIn(clientId, clientSecret).then(onSignedIn, (failure: unknown) => {
            setError(failure);
            setBusy(false);
          });
        }}
      >
        <label>
          Client id
          <input
            name="clientId"
            autoComplete="username"
            required
            value={clientId}
            onChange={(event) => setClientId(event.target.value)}
          />
        </label>
        <label>
          Client secret
          <input
            name="clientSecret"
            type="password"
            autoComplete="current-password"
            required
            value={clientSecret}
            onChange={(event) => setClientSecret(event.target.value)}
          />
        </label>
        <ErrorBanner error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </section>
  );
}
