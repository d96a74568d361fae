import { Type, type Static } from "typebox";
import { Empty, Nullable, Timestamp, ref } from "./common.js";

export const SYNC_STATUS_VALUES = [
  "SYNC_STATUS_UNSPECIFIED",
  "SYNC_STATUS_RUNNING",
  "SYNC_STATUS_DONE",
  "SYNC_STATUS_ERROR",
  "SYNC_STATUS_DISABLED",
] as const;

export const ConnectorStatus = Type.Object(
  {
    status: Type.Optional(Type.Union(SYNC_STATUS_VALUES.map((value) => Type.Literal(value)))),
    startedAt: Type.Optional(Nullable(Timestamp)),
    completedAt: Type.Optional(Nullable(Timestamp)),
    updatedAt: Type.Optional(Nullable(Timestamp)),
    lastError: Type.Optional(Type.String()),
  },
  { $id: "c1.api.app.v1.ConnectorStatus", title: "Connector Status" },
);

export const ConnectorSyncCronSchedule = Type.Object(
  {
    cronSpec: Type.Optional(Type.String()),
    timezone: Type.Optional(Type.String()),
    start: Type.Optional(Nullable(Timestamp)),
  },
  { $id: "c1.api.app.v1.ConnectorSyncCronSchedule", title: "Connector Sync Cron Schedule" },
);

export const SyncConfig = Type.Object(
  { syncResourceTypeIds: Type.Optional(Nullable(Type.Array(Type.String()))) },
  { $id: "c1.api.app.v1.SyncConfig", title: "Sync Config", additionalProperties: false },
);

/** syncplane extension: the data-drop guard's limits for one connector (absent: the defaults). */
export const DataDropPolicy = Type.Object(
  {
    thresholdPercent: Type.Number({ minimum: 1, maximum: 100 }),
    minRows: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }),
  },
  { $id: "syncplane.v1.DataDropPolicy", title: "Data Drop Policy", additionalProperties: false },
);

/** A protobuf Any in JSON: "@type" plus the message's fields. */
export const AnyConfig = Type.Object(
  { "@type": Type.Optional(Type.String()) },
  { additionalProperties: true },
);

const connectorFields = {
  id: Type.Optional(Type.String()),
  appId: Type.Optional(Type.String()),
  displayName: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  catalogId: Type.Optional(Type.String()),
  config: Type.Optional(Nullable(AnyConfig)),
  configUpdatedAt: Type.Optional(Nullable(Timestamp)),
  status: Type.Optional(Nullable(ref("c1.api.app.v1.ConnectorStatus"))),
  canResumeSync: Type.Optional(Type.Boolean()),
  disableCheckBadSync: Type.Optional(Type.Boolean()),
  syncDisabledAt: Type.Optional(Nullable(Timestamp)),
  syncDisabledReason: Type.Optional(Type.String()),
  syncDisabledCategory: Type.Optional(Type.String()),
  connectorSyncCronSchedule: Type.Optional(
    Nullable(ref("c1.api.app.v1.ConnectorSyncCronSchedule")),
  ),
  syncConfig: Type.Optional(Nullable(ref("c1.api.app.v1.SyncConfig"))),
  userIds: Type.Optional(Nullable(Type.Array(Type.String()))),
  createdAt: Type.Optional(Nullable(Timestamp)),
  updatedAt: Type.Optional(Nullable(Timestamp)),
  deletedAt: Type.Optional(Nullable(Timestamp)),
  dataDropPolicy: Type.Optional(Nullable(ref("syncplane.v1.DataDropPolicy"))),
};

export const Connector = Type.Object(connectorFields, {
  $id: "c1.api.app.v1.Connector",
  title: "Connector",
});
export interface Connector {
  id?: string;
  appId?: string;
  displayName?: string;
  description?: string;
  catalogId?: string;
  config?: ({ "@type"?: string } & Record<string, unknown>) | null;
  configUpdatedAt?: string | null;
  status?: {
    status?: (typeof SYNC_STATUS_VALUES)[number];
    startedAt?: string | null;
    completedAt?: string | null;
    updatedAt?: string | null;
    lastError?: string;
  } | null;
  canResumeSync?: boolean;
  disableCheckBadSync?: boolean;
  syncDisabledAt?: string | null;
  syncDisabledReason?: string;
  syncDisabledCategory?: string;
  connectorSyncCronSchedule?: {
    cronSpec?: string;
    timezone?: string;
    start?: string | null;
  } | null;
  syncConfig?: { syncResourceTypeIds?: string[] | null } | null;
  userIds?: string[] | null;
  createdAt?: string | null;
  updatedAt?: string | null;
  deletedAt?: string | null;
  dataDropPolicy?: { thresholdPercent: number; minRows: number } | null;
}

/** The Connector as a client may send it in an update; read-only fields are accepted and ignored. */
export const ConnectorInput = Type.Object(
  {
    ...connectorFields,
    status: Type.Optional(Nullable(Type.Object({}, { additionalProperties: true }))),
    connectorSyncCronSchedule: Type.Optional(
      Nullable(Type.Object({}, { additionalProperties: true })),
    ),
    syncConfig: Type.Optional(Nullable(SyncConfig)),
    connectorApiVersion: Type.Optional(Type.Integer()),
    downloadUrl: Type.Optional(Type.String()),
    oauthAuthorizedAs: Type.Optional(Nullable(Type.Object({}, { additionalProperties: true }))),
    parallelSyncWorkerCount: Type.Optional(Nullable(Type.Integer())),
    profileAllowList: Type.Optional(Nullable(Type.Array(Type.String()))),
    profileIgnoreList: Type.Optional(Nullable(Type.Array(Type.String()))),
  },
  { additionalProperties: false },
);
export type ConnectorInput = Static<typeof ConnectorInput>;

export const ConnectorView = Type.Object(
  {
    connector: Type.Optional(ref("c1.api.app.v1.Connector")),
    appPath: Type.Optional(Type.String()),
  },
  { $id: "c1.api.app.v1.ConnectorView", title: "Connector View" },
);
export interface ConnectorView {
  connector?: Connector;
  appPath?: string;
}

const ExpandMask = Type.Optional(
  Nullable(
    Type.Object(
      { paths: Type.Optional(Nullable(Type.Array(Type.String()))) },
      { additionalProperties: false },
    ),
  ),
);

export const CreateConnectorRequest = Type.Object(
  {
    catalogId: Type.Optional(Type.String()),
    config: Type.Optional(Nullable(AnyConfig)),
    description: Type.Optional(Type.String()),
    expandMask: ExpandMask,
    userIds: Type.Optional(Nullable(Type.Array(Type.String()))),
    // syncplane extensions: set at creation what C1 only allows in an update.
    displayName: Type.Optional(Type.String()),
    disableCheckBadSync: Type.Optional(Type.Boolean()),
    syncConfig: Type.Optional(Nullable(SyncConfig)),
    dataDropPolicy: Type.Optional(Nullable(ref("syncplane.v1.DataDropPolicy"))),
  },
  {
    $id: "c1.api.app.v1.ConnectorServiceCreateRequestInput",
    title: "Connector Service Create Request",
    additionalProperties: false,
  },
);
export type CreateConnectorRequest = Static<typeof CreateConnectorRequest>;

export const CreateDelegatedConnectorRequest = Type.Object(
  {
    catalogId: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
    displayName: Type.Optional(Type.String()),
    expandMask: ExpandMask,
    userIds: Type.Optional(Nullable(Type.Array(Type.String()))),
    appEntitlementOwnerRefs: Type.Optional(
      Nullable(Type.Array(Type.Object({}, { additionalProperties: true }))),
    ),
    appManagedStateBindingRef: Type.Optional(
      Nullable(Type.Object({}, { additionalProperties: true })),
    ),
  },
  {
    $id: "c1.api.app.v1.ConnectorServiceCreateDelegatedRequestInput",
    title: "Connector Service Create Delegated Request",
    additionalProperties: false,
  },
);
export type CreateDelegatedConnectorRequest = Static<typeof CreateDelegatedConnectorRequest>;

export const UpdateConnectorRequest = Type.Object(
  {
    connector: Type.Optional(Nullable(ConnectorInput)),
    expandMask: ExpandMask,
    updateMask: Type.Optional(Nullable(Type.String())),
  },
  {
    $id: "c1.api.app.v1.ConnectorServiceUpdateRequestInput",
    title: "Connector Service Update Request",
    additionalProperties: false,
  },
);
export type UpdateConnectorRequest = Static<typeof UpdateConnectorRequest>;

const viewResponse = (id: string, title: string) =>
  Type.Object(
    {
      connectorView: Type.Optional(ref("c1.api.app.v1.ConnectorView")),
      expanded: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }))),
    },
    { $id: id, title },
  );

export const CreateConnectorResponse = viewResponse(
  "c1.api.app.v1.ConnectorServiceCreateResponse",
  "Connector Service Create Response",
);
export const GetConnectorResponse = viewResponse(
  "c1.api.app.v1.ConnectorServiceGetResponse",
  "Connector Service Get Response",
);
export const UpdateConnectorResponse = viewResponse(
  "c1.api.app.v1.ConnectorServiceUpdateResponse",
  "Connector Service Update Response",
);
export interface ConnectorViewResponse {
  connectorView?: ConnectorView;
  expanded?: unknown[];
}

export const ListConnectorsResponse = Type.Object(
  {
    list: Type.Array(ref("c1.api.app.v1.ConnectorView")),
    nextPageToken: Type.Optional(Type.String()),
    expanded: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }))),
  },
  { $id: "c1.api.app.v1.ConnectorServiceListResponse", title: "Connector Service List Response" },
);
export interface ListConnectorsResponse {
  list: ConnectorView[];
  nextPageToken?: string;
}

export const DeleteConnectorRequest = Empty(
  "c1.api.app.v1.ConnectorServiceDeleteRequestInput",
  "Connector Service Delete Request",
);
export const DeleteConnectorResponse = Empty(
  "c1.api.app.v1.ConnectorServiceDeleteResponse",
  "Connector Service Delete Response",
);

// The five sync controls.

export const PauseSyncRequest = Type.Object(
  {
    // syncplane extension: a note shown as syncDisabledReason.
    note: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  {
    $id: "c1.api.app.v1.PauseSyncRequestInput",
    title: "Pause Sync Request",
    additionalProperties: false,
  },
);
export type PauseSyncRequest = Static<typeof PauseSyncRequest>;
export const PauseSyncResponse = Empty("c1.api.app.v1.PauseSyncResponse", "Pause Sync Response");
export const ResumeSyncRequest = Empty(
  "c1.api.app.v1.ResumeSyncRequestInput",
  "Resume Sync Request",
);
export const ResumeSyncResponse = Empty("c1.api.app.v1.ResumeSyncResponse", "Resume Sync Response");
export const ForceSyncRequest = Empty("c1.api.app.v1.ForceSyncRequestInput", "Force Sync Request");
export const ForceSyncResponse = Empty("c1.api.app.v1.ForceSyncResponse", "Force Sync Response");
export const ConfirmSyncValidRequest = Empty(
  "c1.api.app.v1.ConfirmSyncValidRequestInput",
  "Confirm Sync Valid Request",
);
export const ConfirmSyncValidResponse = Empty(
  "c1.api.app.v1.ConfirmSyncValidResponse",
  "Confirm Sync Valid Response",
);

export const ConnectorScheduleCron = Type.Object(
  {
    cronSpec: Type.Optional(Type.String()),
    timezone: Type.Optional(Type.String()),
  },
  {
    $id: "c1.api.app.v1.ConnectorScheduleCron",
    title: "Connector Schedule Cron",
    additionalProperties: false,
  },
);
export const UpdateConnectorScheduleRequest = Type.Object(
  { cron: Type.Optional(Nullable(ref("c1.api.app.v1.ConnectorScheduleCron"))) },
  {
    $id: "c1.api.app.v1.UpdateConnectorScheduleRequestInput",
    title: "Update Connector Schedule Request",
    additionalProperties: false,
  },
);
export interface UpdateConnectorScheduleRequest {
  cron?: { cronSpec?: string; timezone?: string } | null;
}
export const UpdateConnectorScheduleResponse = Empty(
  "c1.api.app.v1.UpdateConnectorScheduleResponse",
  "Update Connector Schedule Response",
);

/** syncplane extension: the schedule with its next fire times, computed by the server. */
export const ConnectorScheduleView = Type.Object(
  {
    cron: Type.Optional(ref("c1.api.app.v1.ConnectorScheduleCron")),
    start: Type.Optional(Timestamp),
    nextFireTimes: Type.Array(Timestamp),
    paused: Type.Optional(Type.Boolean()),
  },
  { $id: "syncplane.v1.ConnectorScheduleView", title: "Connector Schedule View" },
);
export interface ConnectorScheduleView {
  cron?: { cronSpec: string; timezone: string };
  start?: string;
  nextFireTimes: string[];
  paused?: boolean;
}
