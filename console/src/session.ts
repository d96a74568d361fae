// The signed-in session: the client id and secret are exchanged for an access token in the
// browser, as the C1 SDKs do (an EdDSA client assertion posted to /auth/v1/token); only the
// token is kept (sessionStorage: gone with the tab), never the secret. What the token may do comes
// from /api/v1/auth/introspect, so the console offers only what the server would allow.

import { Syncplane } from "../../src/client/index.js";
import { ClientCredentialsTokenSource } from "../../src/client/token-source.js";

const KEY = "syncplane.session";

export interface Session {
  readonly token: string;
  readonly clientId: string;
  readonly roles: readonly string[];
  readonly permissions: readonly string[];
}

export const serverUrl = (): string => window.location.origin;

export const clientFor = (session: Session): Syncplane =>
  new Syncplane({ serverURL: serverUrl(), security: { bearerAuth: session.token } });

export function loadSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

export async function signIn(clientId: string, clientSecret: string): Promise<Session> {
  const tokens = new ClientCredentialsTokenSource(
    `${serverUrl()}/auth/v1/token`,
    clientId.trim(),
    clientSecret.trim(),
  );
  const token = await tokens.token();
  const who = await new Syncplane({
    serverURL: serverUrl(),
    security: { bearerAuth: token },
  }).auth.introspect();
  const session: Session = {
    token,
    clientId: clientId.trim(),
    roles: who.roles ?? [],
    permissions: who.permissions ?? [],
  };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
}

export const may = (session: Session, permission: string): boolean =>
  session.permissions.includes(permission);
