// C1's RotateCredential for a connector that runs in service mode: a new `connector`-role client
// credential bound to that connector, whose secret is shown once; the connector's earlier
// credentials are revoked in the same transaction (their tokens stop working at once).

import { createCredentialInTx, type IssuedCredential } from "../auth/credentials.js";
import { isServiceCatalog } from "../domain/catalog.js";
import { failedPrecondition } from "../domain/errors.js";
import { audit, type Actor, type Runtime } from "./context.js";
import { lockConnector } from "./lookups.js";

export interface RotatedCredential extends IssuedCredential {
  readonly revokedIds: readonly string[];
}

export async function rotateConnectorCredential(
  runtime: Runtime,
  actor: Actor,
  input: { appId: string; connectorId: string; publicHost: string },
): Promise<RotatedCredential> {
  return runtime.store.transaction(async (tx) => {
    const connector = await lockConnector(tx, input.appId, input.connectorId);
    if (!isServiceCatalog(connector.catalogId)) {
      throw failedPrecondition(
        `connector "${connector.id}" is a "${connector.catalogId}" connector, which syncplane runs itself; only "baton-service" connectors dial in with a credential`,
      );
    }
    const now = runtime.clock.now();
    const revokedIds: string[] = [];
    for (const credential of await tx.listCredentials()) {
      if (credential.connectorId !== connector.id || credential.revokedAt !== null) continue;
      await tx.revokeCredential(credential.id, now);
      revokedIds.push(credential.id);
    }
    const issued = await createCredentialInTx(tx, runtime.clock, {
      role: "connector",
      name: "baton",
      connectorId: connector.id,
      publicHost: input.publicHost,
      actor: actor.name,
      requestId: actor.requestId,
    });
    await audit(tx, runtime, actor, now, {
      action: "connector.rotate_credential",
      objectType: "connector",
      objectId: connector.id,
      details: { credentialId: issued.credential.id, revokedCredentialIds: revokedIds },
    });
    return { ...issued, revokedIds };
  });
}
