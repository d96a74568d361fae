import { Type } from "typebox";
import { Timestamp, ref } from "./common.js";

export const SyncCounts = Type.Object(
  {
    resources: Type.Optional(Type.Record(Type.String(), Type.Integer())),
    entitlements: Type.Optional(Type.Integer()),
    grants: Type.Optional(Type.Integer()),
  },
  { $id: "syncplane.v1.SyncCounts", title: "Sync Counts" },
);

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
  events?: { at: string; state: string; attempt: number; error?: string }[];
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
