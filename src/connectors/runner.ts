// What the sync engine asks of a connector, whatever runs it: a built-in TypeScript connector,
// a baton connector as a one-shot subprocess, or one in service mode. Failures carry their retry
// semantics, decided once, where the failure is observed.

import type { SyncCounts } from "../domain/model.js";
import type {
  EntitlementRecord,
  GrantRecord,
  ResourceRecord,
  ResourceRef,
  ResourceTypeRecord,
} from "../domain/inventory.js";

/** The data one sync read. Large inventories are delivered in batches. */
export interface SyncSnapshot {
  readonly resourceTypes: readonly ResourceTypeRecord[];
  readonly counts: SyncCounts;
  resources(): AsyncIterable<readonly ResourceRecord[]>;
  entitlements(): AsyncIterable<readonly EntitlementRecord[]>;
  /**
   * The grants, by id, or with "principal" by principal then id: the store keeps a lookup by
   * principal, and feeding it in key order keeps its writes sequential.
   */
  grants(order?: GrantOrder): AsyncIterable<readonly GrantRecord[]>;
  /**
   * The grants' own SQLite database, when the connector's file is one (a decompressed c1z): a
   * store that can read it in place (Store.stageGrantsFromFile) takes the grants from there
   * instead of through grants().
   */
  readonly grantSource?: GrantSource;
  /** The file the connector wrote (a baton c1z), kept for download once the sync is recorded. */
  readonly artifact?: SyncArtifact;
  /** Frees what the snapshot holds (temporary files); call once the data is stored. */
  release(): Promise<void>;
}

export type GrantOrder = "id" | "principal";

/** A decompressed c1z's database and the sync run in it whose grants a sync recorded. */
export interface GrantSource {
  readonly dbPath: string;
  readonly runId: string;
}

export interface SyncArtifact {
  readonly path: string;
  readonly sizeBytes: number;
  /** The sync run's id inside the file (baton's own KSUID). */
  readonly sourceSyncId: string;
}

/** A kept file (wherever it is kept) that a runner may copy to a path of its own. */
export interface KeptFile {
  /** Copies the file to `path`; false when it is no longer kept. */
  copyTo(path: string): Promise<boolean>;
}

/** What a grant or revoke runs with. */
export interface ProvisionContext {
  readonly signal: AbortSignal;
  /**
   * The applied sync's c1z, when the connector wrote one (baton): a one-shot baton connector
   * provisions against a copy of it. Null for connectors without files, or when none is kept.
   */
  readonly appliedArtifact: KeptFile | null;
}

/** The connector's answer to a grant or revoke that succeeded. */
export interface ProvisionOutcome {
  /** What the connector said beyond success, e.g. "already exists" (empty: nothing). */
  readonly result: string;
}

export interface ConnectorRunner {
  sync(signal: AbortSignal): Promise<SyncSnapshot>;
  /** Grants the entitlement to the principal; granting what is already granted succeeds. */
  grant(
    entitlementId: string,
    principal: ResourceRef,
    context: ProvisionContext,
  ): Promise<ProvisionOutcome>;
  /** Revokes the grant; revoking what is no longer granted succeeds. */
  revoke(grant: GrantRecord, context: ProvisionContext): Promise<ProvisionOutcome>;
}

/** A connector failure, classified once: retry later (with an optional delay) or give up. */
export class ConnectorError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = "ConnectorError";
  }

  static fatal(message: string): ConnectorError {
    return new ConnectorError(message, false);
  }

  static retryable(message: string, retryAfterMs?: number): ConnectorError {
    return new ConnectorError(message, true, retryAfterMs);
  }
}

/** Counts of a snapshot's data, per resource type where baton's stats give them. */
export function countInventory(
  resources: readonly ResourceRecord[],
  entitlements: readonly EntitlementRecord[],
  grants: readonly GrantRecord[],
): SyncCounts {
  const byType = (items: readonly { resourceTypeId: string }[]) => {
    const result: Record<string, number> = {};
    for (const item of items) result[item.resourceTypeId] = (result[item.resourceTypeId] ?? 0) + 1;
    return result;
  };
  const entitlementType = new Map(entitlements.map((e) => [e.id, e.resourceTypeId]));
  const grantsByType: Record<string, number> = {};
  for (const grant of grants) {
    const type = entitlementType.get(grant.entitlementId) ?? "";
    grantsByType[type] = (grantsByType[type] ?? 0) + 1;
  }
  return {
    resources: byType(resources),
    entitlements: entitlements.length,
    grants: grants.length,
    entitlementsByResourceType: byType(entitlements),
    grantsByResourceType: grantsByType,
  };
}
