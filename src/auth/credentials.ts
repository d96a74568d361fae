// Credential administration: issue, list and revoke client credentials. Used by the offline CLI
// (`syncplane credentials …`) and by first start, which issues the admin credential.

import { invalidArgument, notFound } from "../domain/errors.js";
import { isRole, type CredentialRecord, type Role } from "../domain/model.js";
import { newId, type Clock } from "../runtime.js";
import type { Store, StoreTx } from "../store/store.js";
import { issueSecret, newClientId } from "./secrets.js";

export interface CreateCredentialInput {
  readonly role: string;
  readonly name?: string;
  readonly connectorId?: string | null;
  /** host[:port] of syncplane's public URL, embedded in the client id. */
  readonly publicHost: string;
  readonly actor: string;
  readonly requestId?: string;
}

export interface IssuedCredential {
  readonly credential: CredentialRecord;
  /** Shown once; only its hash and public key are stored. */
  readonly clientSecret: string;
}

export async function createCredential(
  store: Store,
  clock: Clock,
  input: CreateCredentialInput,
): Promise<IssuedCredential> {
  return store.transaction((tx) => createCredentialInTx(tx, clock, input));
}

export async function createCredentialInTx(
  tx: StoreTx,
  clock: Clock,
  input: CreateCredentialInput,
): Promise<IssuedCredential> {
  if (!isRole(input.role)) {
    throw invalidArgument(
      `role "${input.role}" is not known; use admin, operator, viewer or connector`,
    );
  }
  const role: Role = input.role;
  const connectorId = input.connectorId ?? null;
  if (role === "connector" && !connectorId) {
    throw invalidArgument("a connector credential needs --connector <connector id>");
  }
  if (role !== "connector" && connectorId) {
    throw invalidArgument("only connector credentials are bound to a connector");
  }
  if (connectorId && !(await tx.findConnector(connectorId))) {
    throw notFound(
      `connector "${connectorId}" not found; a connector credential must name an existing connector`,
    );
  }
  const now = clock.now();
  const secret = issueSecret();
  const name = input.name?.trim() || role;
  const credential: CredentialRecord = {
    id: newId(clock),
    clientId: newClientId(name, input.publicHost),
    name,
    role,
    connectorId,
    publicJwk: secret.publicJwk,
    secretHash: secret.secretHash,
    createdAt: now,
    createdBy: input.actor,
    revokedAt: null,
    lastUsedAt: null,
  };
  await tx.insertCredential(credential);
  await tx.insertAuditEvent({
    id: newId(clock),
    at: now,
    actor: input.actor,
    action: "credential.create",
    objectType: "credential",
    objectId: credential.id,
    requestId: input.requestId ?? "",
    details: { clientId: credential.clientId, role, connectorId },
  });
  return { credential, clientSecret: secret.clientSecret };
}

/** Revokes by credential id or client id. Tokens already issued stop working at once. */
export async function revokeCredential(
  store: Store,
  clock: Clock,
  idOrClientId: string,
  actor: string,
): Promise<CredentialRecord> {
  return store.transaction(async (tx) => {
    const credential =
      (await tx.getCredential(idOrClientId)) ?? (await tx.getCredentialByClientId(idOrClientId));
    if (!credential) throw notFound(`no credential with id or client id "${idOrClientId}"`);
    if (credential.revokedAt !== null) return credential; // revoking twice changes nothing
    const now = clock.now();
    await tx.revokeCredential(credential.id, now);
    await tx.insertAuditEvent({
      id: newId(clock),
      at: now,
      actor,
      action: "credential.revoke",
      objectType: "credential",
      objectId: credential.id,
      requestId: "",
      details: { clientId: credential.clientId },
    });
    return { ...credential, revokedAt: now };
  });
}
