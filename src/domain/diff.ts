// The data-drop diff: what a finished sync's inventory has that its base has not ("added") and
// what the base has that the sync lost ("removed"), per kind — resources, entitlements, grants —
// and per resource type (a grant counts under its entitlement's resource type, as the data-drop
// guard counts it).
//
// The base is the connector's applied sync; the applied sync itself is compared with the sync it
// replaced. Only syncs whose rows are kept can be compared: the applied sync, the one it
// replaced, and syncs held in ERRORED_NO_DATA.

import { failedPrecondition, invalidArgument } from "./errors.js";
import type { EntitlementRecord, GrantRecord, ResourceRecord } from "./inventory.js";
import { quote } from "./limits.js";
import type { ConnectorRecord, SyncRecord } from "./model.js";

export const DIFF_KINDS = ["resources", "entitlements", "grants"] as const;
export type DiffKind = (typeof DIFF_KINDS)[number];
export const DIFF_CHANGES = ["removed", "added"] as const;
export type DiffChange = (typeof DIFF_CHANGES)[number];

/** One (kind, change) part of a diff; a diff lists its lanes in this order. */
export interface DiffLane {
  readonly kind: DiffKind;
  readonly change: DiffChange;
}

export interface DiffCount {
  readonly removed: number;
  readonly added: number;
}

export interface DiffTotals {
  readonly resources: DiffCount;
  readonly entitlements: DiffCount;
  readonly grants: DiffCount;
  /** Per resource type, by id; types with no change are left out. */
  readonly byResourceType: readonly ({ readonly resourceTypeId: string } & Record<
    DiffKind,
    DiffCount
  >)[];
}

/** One changed row, with the row as the side that has it stores it. */
export type DiffItem = { readonly change: DiffChange; readonly resourceTypeId: string } & (
  | { readonly kind: "resources"; readonly resource: ResourceRecord }
  | { readonly kind: "entitlements"; readonly entitlement: EntitlementRecord }
  | { readonly kind: "grants"; readonly grant: GrantRecord }
);

export interface DiffFilter {
  readonly lanes: readonly DiffLane[];
  readonly resourceTypeId: string | undefined;
}

/** The request's filters: each absent filter takes every value. */
export function parseDiffFilter(
  kind: string | undefined,
  change: string | undefined,
  resourceTypeId: string | undefined,
): DiffFilter {
  const pick = <T extends string>(name: string, value: string | undefined, all: readonly T[]) => {
    if (value === undefined || value === "") return all;
    if (!(all as readonly string[]).includes(value)) {
      throw invalidArgument(`${name} must be one of ${all.join(", ")}, got ${quote(value)}`);
    }
    return [value as T];
  };
  const kinds = pick("kind", kind, DIFF_KINDS);
  const changes = pick("change", change, DIFF_CHANGES);
  return {
    lanes: kinds.flatMap((k) => changes.map((c) => ({ kind: k, change: c }))),
    resourceTypeId: resourceTypeId || undefined,
  };
}

/** Which sync `sync` is compared with, or why it cannot be compared. */
export function chooseDiffBase(connector: ConnectorRecord, sync: SyncRecord): string | null {
  if (sync.state === "QUEUED" || sync.state === "RUNNING") {
    throw failedPrecondition(
      `sync "${sync.id}" is ${sync.state}: a diff compares a finished sync's inventory; wait until it ends`,
    );
  }
  if (sync.id === connector.appliedSyncId) {
    if (connector.previousAppliedSyncId) return connector.previousAppliedSyncId;
    if (sync.baselineCounts === null) return null; // the connector's first data: all of it is new
    throw failedPrecondition(
      `sync "${sync.id}" is the applied sync, and the sync it replaced no longer keeps its inventory (it was replaced before syncplane kept it); its counts are on the sync`,
    );
  }
  if (sync.id === connector.previousAppliedSyncId || sync.state === "ERRORED_NO_DATA") {
    return connector.appliedSyncId;
  }
  if (sync.counts === null) {
    throw failedPrecondition(
      `sync "${sync.id}" ended ${sync.state} without reading any data: there is nothing to compare`,
    );
  }
  throw failedPrecondition(
    `sync "${sync.id}" no longer keeps its inventory: syncplane keeps the rows of the applied sync, the sync it replaced and syncs held in ERRORED_NO_DATA (the sync's c1z may still be downloadable)`,
  );
}

/** Whether a connector keeps `syncId`'s rows: the check a diff repeats while it is computed. */
export function keepsInventory(connector: ConnectorRecord, sync: SyncRecord): boolean {
  return (
    sync.id === connector.appliedSyncId ||
    sync.id === connector.previousAppliedSyncId ||
    sync.state === "ERRORED_NO_DATA"
  );
}

/** Totals from per-(kind, change, type) counts. */
export function diffTotals(
  counts: readonly {
    readonly kind: DiffKind;
    readonly change: DiffChange;
    readonly resourceTypeId: string;
    readonly n: number;
  }[],
): DiffTotals {
  const zero = (): Record<DiffKind, { removed: number; added: number }> => ({
    resources: { removed: 0, added: 0 },
    entitlements: { removed: 0, added: 0 },
    grants: { removed: 0, added: 0 },
  });
  const all = zero();
  const byType = new Map<string, Record<DiffKind, { removed: number; added: number }>>();
  for (const { kind, change, resourceTypeId, n } of counts) {
    all[kind][change] += n;
    let type = byType.get(resourceTypeId);
    if (!type) byType.set(resourceTypeId, (type = zero()));
    type[kind][change] += n;
  }
  return {
    ...all,
    byResourceType: [...byType.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([resourceTypeId, type]) => ({ resourceTypeId, ...type })),
  };
}

/**
 * A position in a diff listing: the lane (index into the filter's lanes' order over every
 * kind and change) and the store's key within it.
 */
export interface DiffCursor {
  readonly lane: number;
  readonly key: string;
}

/** Index of a lane among all lanes (stable across filters, so tokens survive them). */
export const laneIndex = (lane: DiffLane): number =>
  DIFF_KINDS.indexOf(lane.kind) * DIFF_CHANGES.length + DIFF_CHANGES.indexOf(lane.change);
