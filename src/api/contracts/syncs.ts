import { Type } from "typebox";
import { SYNC_PHASES } from "../../domain/progress.js";
import { Timestamp, ref } from "./common.js";
import type { Connector } from "./connectors.js";

export const SyncCounts = Type.Object(
  {
    resources: Type.Optional(Type.Record(Type.String(), Type.Integer())),
    entitlements: Type.Optional(Type.Integer()),
    grants: Type.Optional(Type.Integer()),
  },
  { $id: "syncplane.v1.SyncCounts", title: "Sync Counts" },
);

export const SyncProgress = Type.Object(
  {
    /** CONNECTOR: the connector reads the system; STORING: its data is stored and checked. */
    phase: Type.Optional(Type.Unsafe<string>({ type: "string", enum: [...SYNC_PHASES] })),
    message: Type.Optional(Type.String()),
    /** When the worker last reported. */
    updatedAt: Type.Optional(Timestamp),
    /** Since the sync started, e.g. "1m30s". */
    elapsed: Type.String(),
    /** The median of the connector's recent successful syncs (absent: none yet). */
    typicalDuration: Type.Optional(Type.String()),
    /** elapsed / typicalDuration, below 1 while it runs: an estimate, not a count. */
    estimatedFraction: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    /** Running longer than the typical sync. */
    overdue: Type.Optional(Type.Boolean()),
  },
  { $id: "syncplane.v1.SyncProgress", title: "Sync Progress" },
);
export interface SyncProgress {
  phase?: (typeof SYNC_PHASES)[number];
  message?: string;
  updatedAt?: string;
  elapsed: string;
  typicalDuration?: string;
  estimatedFraction?: number;
  overdue?: boolean;
}

export const DataDrop = Type.Object(
  {
    /** A resource type id, "entitlements", "grants", or "all data". */
    what: Type.String(),
    before: Type.Integer(),
    after: Type.Integer(),
    /** The fall in percent of `before`. */
    percent: Type.Number(),
    /**
     * THRESHOLD: the fall reached the limits; VANISHED: 5 or more rows fell to none, whatever
     * the limits; EMPTIED: the whole sync came back empty.
     */
    rule: Type.Unsafe<string>({ type: "string", enum: ["THRESHOLD", "VANISHED", "EMPTIED"] }),
    /** The limits that applied to this count when the sync was checked. */
    limits: Type.Object({ thresholdPercent: Type.Number(), minRows: Type.Integer() }),
  },
  { $id: "syncplane.v1.DataDrop", title: "Data Drop" },
);
export interface DataDrop {
  what: string;
  before: number;
  after: number;
  percent: number;
  rule: "THRESHOLD" | "VANISHED" | "EMPTIED";
  limits: { thresholdPercent: number; minRows: number };
}

export const SyncLifecycle = Type.Object(
  {
    id: Type.String(),
    connectorId: Type.String(),
    appId: Type.Optional(Type.String()),
    trigger: Type.String(),
    state: Type.String(),
    attempt: Type.Integer(),
    queuedAt: Type.Optional(Timestamp),
    startedAt: Type.Optional(Timestamp),
    finishedAt: Type.Optional(Timestamp),
    counts: Type.Optional(ref("syncplane.v1.SyncCounts")),
    baselineCounts: Type.Optional(ref("syncplane.v1.SyncCounts")),
    error: Type.Optional(Type.String()),
    requestedBy: Type.Optional(Type.String()),
    /** Resource types the connector exempted from the data-drop guard in this sync. */
    exemptResourceTypeIds: Type.Optional(Type.Array(Type.String())),
    /** A held sync (ERRORED_NO_DATA): every count that fell, worst first, and what fired. */
    dataDrops: Type.Optional(Type.Array(ref("syncplane.v1.DataDrop"))),
    /** A running sync only: its phase, the connector's last message, and an estimate. */
    progress: Type.Optional(ref("syncplane.v1.SyncProgress")),
    /** Only when one lifecycle is read: every state it went through, oldest first. */
    events: Type.Optional(
      Type.Array(
        Type.Object({
          at: Timestamp,
          state: Type.String(),
          attempt: Type.Integer(),
          error: Type.Optional(Type.String()),
        }),
      ),
    ),
  },
  { $id: "syncplane.v1.SyncLifecycle", title: "Sync Lifecycle" },
);
export interface SyncLifecycle {
  id: string;
  connectorId: string;
  appId?: string;
  trigger: string;
  state: string;
  attempt: number;
  queuedAt?: string;
  startedAt?: string;
  finishedAt?: string;
  counts?: { resources?: Record<string, number>; entitlements?: number; grants?: number };
  baselineCounts?: { resources?: Record<string, number>; entitlements?: number; grants?: number };
  error?: string;
  requestedBy?: string;
  exemptResourceTypeIds?: string[];
  dataDrops?: DataDrop[];
  progress?: SyncProgress;
  events?: { at: string; state: string; attempt: number; error?: string }[];
}

// syncplane extension: every connector across apps with what an overview needs, in one request.
export const ConnectorOverview = Type.Object(
  {
    connector: ref("c1.api.app.v1.Connector"),
    appDisplayName: Type.Optional(Type.String()),
    /** The connector's newest sync (with its progress while it runs); absent: it never had one. */
    lastSync: Type.Optional(ref("syncplane.v1.SyncLifecycle")),
    /** When the scheduler next starts a sync; absent without a schedule or while a hold stops it. */
    nextRunAt: Type.Optional(Timestamp),
  },
  { $id: "syncplane.v1.ConnectorOverview", title: "Connector Overview" },
);
export interface ConnectorOverview {
  connector: Connector;
  appDisplayName?: string;
  lastSync?: SyncLifecycle;
  nextRunAt?: string;
}

export const ListConnectorOverviewsResponse = Type.Object(
  {
    list: Type.Array(ref("syncplane.v1.ConnectorOverview")),
    nextPageToken: Type.Optional(Type.String()),
  },
  {
    $id: "syncplane.v1.ListConnectorOverviewsResponse",
    title: "List Connector Overviews Response",
  },
);
export interface ListConnectorOverviewsResponse {
  list: ConnectorOverview[];
  nextPageToken?: string;
}

export const ListSyncsResponse = Type.Object(
  {
    list: Type.Array(ref("syncplane.v1.SyncLifecycle")),
    nextPageToken: Type.Optional(Type.String()),
  },
  { $id: "syncplane.v1.ListSyncLifecyclesResponse", title: "List Sync Lifecycles Response" },
);
export interface ListSyncsResponse {
  list: SyncLifecycle[];
  nextPageToken?: string;
}

export const GetSyncResponse = Type.Object(
  { syncLifecycle: ref("syncplane.v1.SyncLifecycle") },
  { $id: "syncplane.v1.GetSyncLifecycleResponse", title: "Get Sync Lifecycle Response" },
);
export interface GetSyncResponse {
  syncLifecycle: SyncLifecycle;
}

// The data-drop diff of a sync (domain/diff.ts): counts per kind and per resource type, and the
// changed rows with the ids the inventory API uses.
const DiffCount = Type.Object({ removed: Type.Integer(), added: Type.Integer() });
export const SyncDiffTotals = Type.Object(
  {
    resources: DiffCount,
    entitlements: DiffCount,
    grants: DiffCount,
    byResourceType: Type.Optional(
      Type.Array(
        Type.Object({
          resourceTypeId: Type.String(),
          resources: DiffCount,
          entitlements: DiffCount,
          grants: DiffCount,
        }),
      ),
    ),
  },
  { $id: "syncplane.v1.SyncDiffTotals", title: "Sync Diff Totals" },
);
export const SyncDiffItem = Type.Object(
  {
    change: Type.String({ description: "removed or added" }),
    kind: Type.String({ description: "resources, entitlements or grants" }),
    /** The row's resource type; a grant's is its entitlement's. */
    resourceTypeId: Type.String(),
    /** Resources: the resource's id; entitlements: the resource entitled. */
    resourceId: Type.Optional(Type.String()),
    /** Entitlements and grants. */
    id: Type.Optional(Type.String()),
    displayName: Type.Optional(Type.String()),
    parent: Type.Optional(
      Type.Object({ resourceTypeId: Type.String(), resourceId: Type.String() }),
    ),
    slug: Type.Optional(Type.String()),
    entitlementId: Type.Optional(Type.String()),
    principal: Type.Optional(
      Type.Object({ resourceTypeId: Type.String(), resourceId: Type.String() }),
    ),
  },
  { $id: "syncplane.v1.SyncDiffItem", title: "Sync Diff Item" },
);
export const GetSyncDiffResponse = Type.Object(
  {
    syncId: Type.String(),
    /** The sync compared with; absent when there is none (the connector's first data). */
    baseSyncId: Type.Optional(Type.String()),
    /** The whole diff's totals, whatever the filters; on the first page only. */
    totals: Type.Optional(ref("syncplane.v1.SyncDiffTotals")),
    list: Type.Array(ref("syncplane.v1.SyncDiffItem")),
    nextPageToken: Type.Optional(Type.String()),
  },
  { $id: "syncplane.v1.GetSyncDiffResponse", title: "Get Sync Diff Response" },
);
export interface SyncDiffCount {
  removed: number;
  added: number;
}
export interface SyncDiffTotals {
  resources: SyncDiffCount;
  entitlements: SyncDiffCount;
  grants: SyncDiffCount;
  byResourceType?: {
    resourceTypeId: string;
    resources: SyncDiffCount;
    entitlements: SyncDiffCount;
    grants: SyncDiffCount;
  }[];
}
export interface SyncDiffItem {
  change: "removed" | "added";
  kind: "resources" | "entitlements" | "grants";
  resourceTypeId: string;
  resourceId?: string;
  id?: string;
  displayName?: string;
  parent?: { resourceTypeId: string; resourceId: string };
  slug?: string;
  entitlementId?: string;
  principal?: { resourceTypeId: string; resourceId: string };
}
export interface GetSyncDiffResponse {
  syncId: string;
  baseSyncId?: string;
  totals?: SyncDiffTotals;
  list: SyncDiffItem[];
  nextPageToken?: string;
}
