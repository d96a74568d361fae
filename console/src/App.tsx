// The console's shell: sign-in, then pages chosen by the URL's hash.

import { useEffect, useState } from "react";
import { ConnectorPage } from "./pages/Connector.js";
import { ConnectorsPage } from "./pages/Connectors.js";
import { HeldSyncPage } from "./pages/HeldSync.js";
import { SignInPage } from "./pages/SignIn.js";
import { BulkPage } from "./pages/Bulk.js";
import { loadSession, may, signOut, type Session } from "./session.js";

function useHash(): string {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const changed = () => setHash(window.location.hash);
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  return hash;
}

export function App() {
  const [session, setSession] = useState<Session | null>(loadSession);
  const hash = useHash();
  if (!session) return <SignInPage onSignedIn={setSession} />;
  const parts = hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  let page = <ConnectorsPage session={session} />;
  if (parts[0] === "bulk" && may(session, "connectors.control"))
    page = <BulkPage session={session} />;
  if (parts[0] === "apps" && parts[2] === "connectors" && parts[1] && parts[3]) {
    page =
      parts[4] === "syncs" && parts[5] ? (
        <HeldSyncPage session={session} appId={parts[1]} connectorId={parts[3]} syncId={parts[5]} />
      ) : (
        <ConnectorPage session={session} appId={parts[1]} connectorId={parts[3]} />
      );
  }
  return (
    <>
      <header>
        <a href="#/connectors" className="brand">
          syncplane
        </a>
        <nav aria-label="Main">
          <a href="#/connectors">Connectors</a>
          {may(session, "connectors.control") ? <a href="#/bulk">Bulk operations</a> : null}
        </nav>
        <span className="who muted small">
          {session.clientId} ({session.roles.join(", ")})
        </span>
        <button
          type="button"
          onClick={() => {
            signOut();
            setSession(null);
          }}
        >
          Sign out
        </button>
      </header>
      <main>{page}</main>
    </>
  );
}
