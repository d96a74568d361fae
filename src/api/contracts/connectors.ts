import { UNTIL_PATTERN } from "../../domain/pause.js";
import { Type, type Static, type TSchema } from "typebox";
import { FORCED_BATON_ENV, REFUSED_BATON_ENV } from "../../domain/baton.js";
import {
  CATALOG_IDS,
  CONFIG_TYPES,
  ENV_NAME_PATTERN,
  MAX_BATON_TIMEOUT_SECONDS,
  SERVICE_MODE_ARG_PATTERN,
} from "../../domain/catalog.js";
import {
  formatDuration,
  MAX_AGE_PATTERN,
  MAX_MAX_AGE_MS,
  MIN_MAX_AGE_MS,
} from "../../domain/freshness.js";
import { HOLD_KINDS } from "../../domain/holds.js";
import { LIMITS } from "../../domain/limits.js";
import { CRON_SPEC_PATTERN, knownTimezones } from "../../domain/schedule.js";
import {
  Empty,
  FreeObject,
  NonBlank,
  Nullable,
  Text,
  TextList,
  TextMap,
  Timestamp,
  ref,
  UpdateMask,
} from "./common.js";

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
  { syncResourceTypeIds: Type.Optional(Nullable(TextList("externalId"))) },
  { $id: "c1.api.app.v1.SyncConfig", title: "Sync Config", additionalProperties: false },
);

/** syncplane extension: the data-drop guard's limits for one connector (absent: the defaults). */
const DataDropLimits = {
  thresholdPercent: Type.Number({ minimum: 1, maximum: 100 }),
  minRows: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }),
};

export const DataDropPolicy = Type.Object(
  {
    ...DataDropLimits,
    // Limits of their own for some resource types (the default applies to the others and to
    // the entitlement and grant totals).
    resourceTypes: Type.Optional(
      Nullable(
        Type.Unsafe<Record<string, { thresholdPercent: number; minRows: number }>>({
          type: "object",
          propertyNames: { minLength: 1, maxLength: 256, pattern: "\\S" },
          additionalProperties: Type.Object(DataDropLimits, { additionalProperties: false }),
          maxProperties: 200,
          description:
            "Limits per resource type id (users strict, groups loose); the others use the default.",
        }),
      ),
    ),
  },
  { $id: "syncplane.v1.DataDropPolicy", title: "Data Drop Policy", additionalProperties: false },
);

/** A protobuf Any in JSON: "@type" plus the message's fields (what reads return). */
export const AnyConfig = Type.Object(
  { "@type": Type.Optional(Type.String()) },
  { additionalProperties: true },
);

// The configs a client may send, one message per catalog (docs/api.md "Connectors"). The domain
// (src/domain/catalog.ts) checks the same rules; these declare them.
const configMessage = (catalogId: keyof typeof CONFIG_TYPES, fields: Record<string, TSchema>) =>
  Type.Object(
    { "@type": Type.Literal(CONFIG_TYPES[catalogId]), ...fields },
    {
      additionalProperties: false,
      title: CONFIG_TYPES[catalogId].replace(/^.*\//, ""),
      "x-explain": "config",
    },
  );

export const FileConnectorConfig = configMessage("file", {
  path: Text("path", {
    minLength: 1,
    pattern: "^/",
    description: "must be an absolute path (starting with /)",
  }),
});

export const BatonConnectorConfig = configMessage("baton", {
  command: NonBlank("path", {
    description: "The baton connector binary (a path or a name on PATH).",
  }),
  args: Type.Optional(
    Type.Array(Text("path", { not: { pattern: SERVICE_MODE_ARG_PATTERN } }), {
      maxItems: LIMITS.args,
    }),
  ),
  env: Type.Optional(
    TextMap(
      {
        limit: "envName",
        pattern: ENV_NAME_PATTERN,
        refused: [...REFUSED_BATON_ENV, ...Object.keys(FORCED_BATON_ENV)],
      },
      "envValue",
      "envEntries",
      "Write-only: reads show ********.",
    ),
  ),
  timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_BATON_TIMEOUT_SECONDS })),
});

export const BatonServiceConnectorConfig = configMessage("baton-service", {});

const configFor = {
  file: FileConnectorConfig,
  baton: BatonConnectorConfig,
  "baton-service": BatonServiceConnectorConfig,
} as const;

type ConfigInput =
  | Static<typeof FileConnectorConfig>
  | Static<typeof BatonConnectorConfig>
  | Static<typeof BatonServiceConnectorConfig>;

/** Any of the three configs, told apart by "@type" (an update keeps the connector's catalog). */
export const ConnectorConfigInput = Type.Unsafe<ConfigInput>({
  oneOf: CATALOG_IDS.map((id) => configFor[id]),
  discriminator: { propertyName: "@type" },
});

/** The JSON Schema of labels (domain/labels.ts checks keys and values the same way). */
export const labelsSchema = (options: Record<string, unknown> = {}) =>
  Type.Unsafe<Record<string, string>>({
    type: "object",
    propertyNames: {
      maxLength: 317,
      pattern:
        "^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$",
    },
    additionalProperties: {
      type: "string",
      maxLength: 63,
      pattern: "^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$",
    },
    maxProperties: 64,
    description:
      'syncplane extension: labels ("team": "identity"); keys and values follow Kubernetes label rules.',
    ...options,
  });

/** syncplane extension: labels on a connector. */
export const Labels = labelsSchema();

const connectorFields = {
  id: Type.Optional(Text("id")),
  appId: Type.Optional(Text("id")),
  displayName: Type.Optional(Text("displayName")),
  description: Type.Optional(Text("description")),
  catalogId: Type.Optional(Text("shortText")),
  config: Type.Optional(Nullable(AnyConfig)),
  configUpdatedAt: Type.Optional(Nullable(Timestamp)),
  status: Type.Optional(Nullable(ref("c1.api.app.v1.ConnectorStatus"))),
  canResumeSync: Type.Optional(Type.Boolean()),
  disableCheckBadSync: Type.Optional(Type.Boolean()),
  syncDisabledAt: Type.Optional(Nullable(Timestamp)),
  syncDisabledReason: Type.Optional(Text("longText")),
  syncDisabledCategory: Type.Optional(Text("shortText")),
  // syncplane extension: when a timed pause ends by itself (PauseSync's until).
  pausedUntil: Type.Optional(Nullable(Timestamp)),
  // syncplane extension: the freshness target the connector follows instead of a cron.
  freshness: Type.Optional(Nullable(ref("syncplane.v1.FreshnessTarget"))),
  connectorSyncCronSchedule: Type.Optional(
    Nullable(ref("c1.api.app.v1.ConnectorSyncCronSchedule")),
  ),
  syncConfig: Type.Optional(Nullable(ref("c1.api.app.v1.SyncConfig"))),
  userIds: Type.Optional(Nullable(TextList("id", "userIds"))),
  createdAt: Type.Optional(Nullable(Timestamp)),
  updatedAt: Type.Optional(Nullable(Timestamp)),
  deletedAt: Type.Optional(Nullable(Timestamp)),
  dataDropPolicy: Type.Optional(Nullable(ref("syncplane.v1.DataDropPolicy"))),
  labels: Type.Optional(Nullable(Labels)),
};

export const Connector = Type.Object(
  {
    ...connectorFields,
    // syncplane extension: the connector's provisioning queue at a glance (absent: empty).
    provisioningTasks: Type.Optional(
      Type.Object({
        queued: Type.Optional(Type.Integer()),
        held: Type.Optional(Type.Integer()),
        running: Type.Optional(Type.Integer()),
      }),
    ),
    // syncplane extension: every hold on the connector (a pause and a data-drop hold may stack;
    // the C1 fields syncDisabled* show only the one that wins).
    holds: Type.Optional(
      Type.Array(
        Type.Object({
          kind: Type.Optional(Type.Unsafe<string>({ type: "string", enum: [...HOLD_KINDS] })),
          createdAt: Type.Optional(Timestamp),
          createdBy: Type.Optional(Type.String()),
          note: Type.Optional(Type.String()),
          until: Type.Optional(Timestamp),
        }),
      ),
    ),
    // syncplane extension: a baton-service connector's process, once it called in.
    serviceConnection: Type.Optional(
      Type.Object({
        connected: Type.Optional(Type.Boolean()),
        hostId: Type.Optional(Type.String()),
        sdk: Type.Optional(Type.String()),
        capabilities: Type.Optional(Type.Array(Type.String())),
        helloAt: Type.Optional(Timestamp),
        lastSeenAt: Type.Optional(Timestamp),
      }),
    ),
  },
  {
    $id: "c1.api.app.v1.Connector",
    title: "Connector",
  },
);
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
  pausedUntil?: string | null;
  freshness?: FreshnessTarget | null;
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
  dataDropPolicy?: {
    thresholdPercent: number;
    minRows: number;
    resourceTypes?: Record<string, { thresholdPercent: number; minRows: number }> | null;
  } | null;
  labels?: Record<string, string> | null;
  provisioningTasks?: { queued?: number; held?: number; running?: number };
  holds?: ConnectorHold[];
  serviceConnection?: {
    connected?: boolean;
    hostId?: string;
    sdk?: string;
    capabilities?: string[];
    helloAt?: string;
    lastSeenAt?: string;
  };
}

/** A hold as a connector reads it back: who put it there, why, and (a timed pause) until when. */
export interface ConnectorHold {
  kind?: (typeof HOLD_KINDS)[number];
  createdAt?: string;
  createdBy?: string;
  note?: string;
  until?: string;
}

/** Paths an update of a connector may name in its updateMask. */
/** Fields an update may not name: the server sets them. */
export const CONNECTOR_READ_ONLY = [
  "id",
  "appId",
  "catalogId",
  "status",
  "canResumeSync",
  "syncDisabledAt",
  "syncDisabledReason",
  "syncDisabledCategory",
  "pausedUntil",
  "freshness",
  "connectorSyncCronSchedule",
  "configUpdatedAt",
  "connectorApiVersion",
  "downloadUrl",
  "oauthAuthorizedAs",
  "createdAt",
  "updatedAt",
  "deletedAt",
  "parallelSyncWorkerCount",
  "profileAllowList",
  "profileIgnoreList",
  "provisioningTasks",
  "holds",
  "serviceConnection",
];

export const CONNECTOR_UPDATABLE = [
  "displayName",
  "description",
  "config",
  "disableCheckBadSync",
  "syncConfig",
  "syncConfig.syncResourceTypeIds",
  "userIds",
  "dataDropPolicy",
  "labels",
] as const;

/** The Connector as a client may send it in an update; read-only fields are accepted and ignored. */
export const ConnectorInput = Type.Object(
  {
    ...connectorFields,
    displayName: Type.Optional(NonBlank("displayName")),
    config: Type.Optional(Nullable(ConnectorConfigInput)),
    status: Type.Optional(Nullable(FreeObject())),
    connectorSyncCronSchedule: Type.Optional(Nullable(FreeObject())),
    syncConfig: Type.Optional(Nullable(ref("c1.api.app.v1.SyncConfig"))),
    connectorApiVersion: Type.Optional(Type.Integer({ minimum: -2147483648, maximum: 2147483647 })),
    downloadUrl: Type.Optional(Text("longText")),
    oauthAuthorizedAs: Type.Optional(Nullable(FreeObject())),
    parallelSyncWorkerCount: Type.Optional(
      Nullable(Type.Integer({ minimum: -2147483648, maximum: 2147483647 })),
    ),
    profileAllowList: Type.Optional(Nullable(TextList("shortText"))),
    profileIgnoreList: Type.Optional(Nullable(TextList("shortText"))),
    provisioningTasks: Type.Optional(Nullable(FreeObject())),
    holds: Type.Optional(Nullable(Type.Array(FreeObject()))),
    serviceConnection: Type.Optional(Nullable(FreeObject())),
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
      { paths: Type.Optional(Nullable(TextList("shortText"))) },
      { additionalProperties: false },
    ),
  ),
);

/** The fields of a create other than the catalog and its config (the same for every catalog). */
const createFields = {
  description: Type.Optional(Text("description")),
  expandMask: ExpandMask,
  userIds: Type.Optional(Nullable(TextList("id", "userIds"))),
  // syncplane extensions: set at creation what C1 only allows in an update.
  displayName: Type.Optional(Text("displayName")),
  disableCheckBadSync: Type.Optional(Type.Boolean()),
  syncConfig: Type.Optional(Nullable(ref("c1.api.app.v1.SyncConfig"))),
  dataDropPolicy: Type.Optional(Nullable(ref("syncplane.v1.DataDropPolicy"))),
  labels: Type.Optional(Nullable(Labels)),
};

const createVariant = (catalogId: keyof typeof CONFIG_TYPES) =>
  Type.Object(
    {
      catalogId: Type.Literal(catalogId),
      config: Type.Optional(Nullable(configFor[catalogId])),
      ...createFields,
    },
    { additionalProperties: false, title: `Create ${catalogId} connector` },
  );

/** What a create carries; the schema below states which config each catalogId takes. */
export interface CreateConnectorRequest {
  catalogId: string;
  config?: ({ "@type"?: string } & Record<string, unknown>) | null;
  description?: string;
  expandMask?: { paths?: string[] | null } | null;
  userIds?: string[] | null;
  displayName?: string;
  disableCheckBadSync?: boolean;
  syncConfig?: { syncResourceTypeIds?: string[] | null } | null;
  dataDropPolicy?: {
    thresholdPercent: number;
    minRows: number;
    resourceTypes?: Record<string, { thresholdPercent: number; minRows: number }> | null;
  } | null;
  labels?: Record<string, string> | null;
}

/**
 * C1's ConnectorService.Create: `catalogId` picks the kind of connector and the config message it
 * takes (a blank displayName gets "<catalog> connector").
 */
export const CreateConnectorRequest = Type.Unsafe<CreateConnectorRequest>({
  $id: "c1.api.app.v1.ConnectorServiceCreateRequestInput",
  title: "Connector Service Create Request",
  oneOf: CATALOG_IDS.map(createVariant),
  discriminator: { propertyName: "catalogId" },
  "x-explain": "catalogId",
});

export const CreateDelegatedConnectorRequest = Type.Object(
  {
    catalogId: Type.Unsafe<string>({ type: "string", enum: CATALOG_IDS, "x-explain": "catalogId" }),
    description: Type.Optional(Text("description")),
    displayName: Type.Optional(Text("displayName")),
    expandMask: ExpandMask,
    userIds: Type.Optional(Nullable(TextList("id", "userIds"))),
    appEntitlementOwnerRefs: Type.Optional(
      Nullable(Type.Array(FreeObject(), { maxItems: LIMITS.listItems })),
    ),
    appManagedStateBindingRef: Type.Optional(Nullable(FreeObject())),
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
    updateMask: UpdateMask(CONNECTOR_UPDATABLE, CONNECTOR_READ_ONLY),
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
    // syncplane extensions: a note shown as syncDisabledReason, and a timer: at `until` (an RFC
    // 3339 time, or a duration from now such as "2h" or "1h30m") the connector resumes by itself.
    note: Type.Optional(Nullable(Text("note"))),
    until: Type.Optional(
      Nullable(
        Type.String({
          maxLength: 64,
          minLength: 1,
          pattern: UNTIL_PATTERN,
          description:
            'When the pause ends by itself: an RFC 3339 time or a duration from now ("2h", "1h30m", "3d"); from 1 minute to 366 days ahead. A PauseSync on a paused connector replaces the timer.',
        }),
      ),
    ),
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
    cronSpec: Type.String({
      maxLength: LIMITS.cronSpec,
      pattern: CRON_SPEC_PATTERN,
      "x-explain": "cronSpec",
      description:
        "5-field cron (minute hour day-of-month month day-of-week) or @hourly, @daily, @weekly, @monthly, @yearly, @annually. Ranges must not run backwards and the expression must name a date that exists.",
    }),
    timezone: Type.Optional(
      Type.String({
        maxLength: LIMITS.timezone,
        enum: knownTimezones(),
        "x-explain": "timezone",
        description:
          'An IANA time zone name; empty means UTC. Aliases such as "US/Eastern" are accepted too and read back under their canonical name.',
      }),
    ),
  },
  {
    $id: "c1.api.app.v1.ConnectorScheduleCron",
    title: "Connector Schedule Cron",
    additionalProperties: false,
  },
);
/** syncplane extension: "the applied data is never older than maxAge" instead of a cron. */
export const FreshnessTarget = Type.Object(
  {
    maxAge: Type.String({
      minLength: 2,
      maxLength: 40,
      pattern: MAX_AGE_PATTERN,
      description: `How old the applied data may get: whole numbers with units d, h, m, s, largest first (e.g. 2h, 1h30m, 1d); from ${formatDuration(MIN_MAX_AGE_MS)} to ${formatDuration(MAX_MAX_AGE_MS)}.`,
    }),
  },
  { $id: "syncplane.v1.FreshnessTarget", title: "Freshness Target", additionalProperties: false },
);
export interface FreshnessTarget {
  maxAge: string;
}

export const UpdateConnectorScheduleRequest = Type.Object(
  {
    cron: Type.Optional(Nullable(ref("c1.api.app.v1.ConnectorScheduleCron"))),
    // syncplane extension, instead of cron (not both).
    freshness: Type.Optional(Nullable(ref("syncplane.v1.FreshnessTarget"))),
  },
  {
    $id: "c1.api.app.v1.UpdateConnectorScheduleRequestInput",
    title: "Update Connector Schedule Request",
    additionalProperties: false,
  },
);
export interface UpdateConnectorScheduleRequest {
  cron?: { cronSpec?: string; timezone?: string } | null;
  freshness?: FreshnessTarget | null;
}
export const UpdateConnectorScheduleResponse = Empty(
  "c1.api.app.v1.UpdateConnectorScheduleResponse",
  "Update Connector Schedule Response",
);

/** syncplane extension: the schedule with its next fire times, computed by the server. */
export const ConnectorScheduleView = Type.Object(
  {
    cron: Type.Optional(ref("c1.api.app.v1.ConnectorScheduleCron")),
    /** A freshness target and its plan: the sync duration it assumes, and whether it holds. */
    freshness: Type.Optional(
      Type.Object({
        maxAge: Type.String(),
        expectedSyncDuration: Type.String(),
        periodBetweenSyncs: Type.String(),
        atRisk: Type.Optional(Type.Boolean()),
      }),
    ),
    start: Type.Optional(Timestamp),
    nextFireTimes: Type.Array(Timestamp),
    paused: Type.Optional(Type.Boolean()),
  },
  { $id: "syncplane.v1.ConnectorScheduleView", title: "Connector Schedule View" },
);
export interface ConnectorScheduleView {
  cron?: { cronSpec: string; timezone: string };
  freshness?: {
    maxAge: string;
    expectedSyncDuration: string;
    periodBetweenSyncs: string;
    atRisk?: boolean;
  };
  start?: string;
  nextFireTimes: string[];
  paused?: boolean;
}

export const RotateCredentialRequest = Type.Object(
  {
    appId: NonBlank("id"),
    connectorId: NonBlank("id"),
  },
  {
    $id: "c1.api.app.v1.ConnectorServiceRotateCredentialRequest",
    title: "Connector Service Rotate Credential Request",
    additionalProperties: false,
  },
);
export type RotateCredentialRequest = Static<typeof RotateCredentialRequest>;

export const ConnectorCredential = Type.Object(
  {
    id: Type.Optional(Type.String()),
    appId: Type.Optional(Type.String()),
    connectorId: Type.Optional(Type.String()),
    displayName: Type.Optional(Type.String()),
    clientId: Type.Optional(Type.String()),
    /** Only in the RotateCredential response: shown once, never stored. */
    clientSecret: Type.Optional(Type.String()),
    createdAt: Type.Optional(Nullable(Timestamp)),
    lastUsedAt: Type.Optional(Nullable(Timestamp)),
  },
  { $id: "c1.api.app.v1.ConnectorCredential", title: "Connector Credential" },
);
export interface ConnectorCredential {
  id?: string;
  appId?: string;
  connectorId?: string;
  displayName?: string;
  clientId?: string;
  clientSecret?: string;
  createdAt?: string | null;
  lastUsedAt?: string | null;
}

export const RotateCredentialResponse = Type.Object(
  { credential: Type.Optional(Nullable(ref("c1.api.app.v1.ConnectorCredential"))) },
  {
    $id: "c1.api.app.v1.ConnectorServiceRotateCredentialResponse",
    title: "Connector Service Rotate Credential Response",
  },
);
export interface RotateCredentialResponse {
  credential?: ConnectorCredential | null;
}
