// Client credentials and the access tokens issued for them (hashes only).

import type { CredentialRecord } from "../../domain/model.js";
import { credentialFromRow } from "../rows.js";
import type { AccessTokenRecord, StoreReader, StoreTx } from "../store.js";
import type { PgDb } from "./db.js";

export const credentialReads = (q: PgDb) =>
  ({
    async getCredentialByClientId(clientId: string): Promise<CredentialRecord | null> {
      const row = await q.one("SELECT * FROM credentials WHERE client_id = $1", clientId);
      return row ? credentialFromRow(row) : null;
    },

    async getCredential(id: string): Promise<CredentialRecord | null> {
      const row = await q.one("SELECT * FROM credentials WHERE id = $1", id);
      return row ? credentialFromRow(row) : null;
    },

    async listCredentials(): Promise<CredentialRecord[]> {
      const rows = await q.all("SELECT * FROM credentials ORDER BY created_at, id");
      return rows.map(credentialFromRow);
    },

    async findAccessToken(tokenHash: string, now: number): Promise<CredentialRecord | null> {
      const row = await q.one(
        `SELECT c.* FROM access_tokens t JOIN credentials c ON c.id = t.credential_id
         WHERE t.token_hash = $1 AND t.expires_at > $2 AND c.revoked_at IS NULL`,
        tokenHash,
        now,
      );
      return row ? credentialFromRow(row) : null;
    },
  }) satisfies Partial<StoreReader>;

export const credentialWrites = (q: PgDb) =>
  ({
    async insertCredential(c: CredentialRecord): Promise<void> {
      await q.run(
        `INSERT INTO credentials (id, client_id, name, role, connector_id, public_jwk,
           secret_hash, created_at, created_by, revoked_at, last_used_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        c.id,
        c.clientId,
        c.name,
        c.role,
        c.connectorId,
        JSON.stringify(c.publicJwk),
        c.secretHash,
        c.createdAt,
        c.createdBy,
        c.revokedAt,
        c.lastUsedAt,
      );
    },

    async revokeCredential(id: string, now: number): Promise<boolean> {
      const changed = await q.run(
        "UPDATE credentials SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        now,
        id,
      );
      await q.run("DELETE FROM access_tokens WHERE credential_id = $1", id);
      return changed > 0;
    },

    async touchCredential(id: string, now: number): Promise<void> {
      await q.run("UPDATE credentials SET last_used_at = $1 WHERE id = $2", now, id);
    },

    async insertAccessToken(token: AccessTokenRecord): Promise<void> {
      await q.run(
        `INSERT INTO access_tokens (token_hash, credential_id, issued_at, expires_at)
         VALUES ($1, $2, $3, $4)`,
        token.tokenHash,
        token.credentialId,
        token.issuedAt,
        token.expiresAt,
      );
    },

    async deleteExpiredAccessTokens(now: number): Promise<number> {
      return q.run("DELETE FROM access_tokens WHERE expires_at <= $1", now);
    },
  }) satisfies Partial<StoreTx>;
