// Bulk operations (syncplane's own API; SPEC §8): pause, resume or force the connectors a
// selector chooses, with a dry run that changes nothing.

import { Type, type Static } from "typebox";
import { MAX_BULK_CONNECTORS } from "../../domain/bulk.js";
import { HOLD_KINDS } from "../../domain/holds.js";
import { SYNC_STATUSES } from "../../domain/model.js";
import { UNTIL_PATTERN } from "../../domain/pause.js";
import { Nullable, Text } from "./common.js";
import { labelsSchema } from "./connectors.js";

const OUTCOMES = [
  "PAUSED",
  "ALREADY_PAUSED",
  "TIMER_REPLACED",
  "RESUMED",
  "NOT_PAUSED",
  "SYNC_QUEUED",
  "COALESCED",
  "FAILED",
] as const;

const SELECTOR_FIELDS = [
  "appId",
  "catalogId",
  "labels",
  "status",
  "holdKind",
  "connectorIds",
] as const;

// Every field may be null (protojson: not set); at least one must be set (anyOf below), since an
// empty selector would choose every connector.
export const ConnectorSelector = Type.Object(
  {
    appId: Type.Optional(Nullable(Text("id", { minLength: 1 }))),
    catalogId: Type.Optional(Nullable(Text("shortText", { minLength: 1 }))),
    labels: Type.Optional(
      Nullable(
        labelsSchema({
          minProperties: 1,
          description: "Connectors that have every one of these labels.",
        }),
      ),
    ),
    status: Type.Optional(
      Nullable(
        Type.Unsafe<string>({
          type: "string",
          enum: [...SYNC_STATUSES],
          description:
            "The connector's status as it reads back (SYNC_STATUS_DISABLED while paused).",
        }),
      ),
    ),
    holdKind: Type.Optional(
      Nullable(
        Type.Unsafe<string>({
          type: "string",
          enum: [...HOLD_KINDS],
          description: "Connectors that have a hold of this kind.",
        }),
      ),
    ),
    connectorIds: Type.Optional(
      Nullable(
        Type.Array(Text("id", { minLength: 1 }), {
          minItems: 1,
          maxItems: MAX_BULK_CONNECTORS,
          description:
            "These connectors, by id across apps (repeats count once); an id of no connector is reported as that connector's failure.",
        }),
      ),
    ),
  },
  {
    $id: "syncplane.v1.ConnectorSelector",
    title: "Connector Selector",
    additionalProperties: false,
    // (Under allOf, so that the protojson reader, which picks a branch of a top-level anyOf,
    // reads the selector by its properties.)
    allOf: [
      {
        anyOf: SELECTOR_FIELDS.map((field) => ({
          required: [field],
          properties: { [field]: { not: { type: "null" } } },
        })),
        "x-requirement":
          "selector must name at least one of appId, catalogId, labels, status, holdKind, connectorIds (an empty selector would select every connector)",
      },
    ],
    description:
      "Every field narrows the choice (all must hold); at least one is required. At most 1000 connectors.",
  },
);

const bulkFields = {
  selector: Type.Unsafe<Static<typeof ConnectorSelector>>({
    $ref: "syncplane.v1.ConnectorSelector#",
  }),
  dryRun: Type.Optional(
    Nullable(
      Type.Boolean({
        description:
          "Run each connector's command and roll it back: the results say exactly what would happen; nothing changes.",
      }),
    ),
  ),
};

/** Bulk pause: a note and a timer may go with it. */
export const BulkRequest = Type.Object(
  {
    ...bulkFields,
    note: Type.Optional(Nullable(Text("note"))),
    until: Type.Optional(
      Nullable(
        Type.String({
          maxLength: 64,
          minLength: 1,
          pattern: UNTIL_PATTERN,
          description: "Resume by itself then (an RFC 3339 time or a duration such as 2h).",
        }),
      ),
    ),
  },
  {
    $id: "syncplane.v1.BulkPauseRequest",
    title: "Bulk Pause Request",
    additionalProperties: false,
  },
);

/** Bulk resume and force: the selector and dryRun only. */
export const BulkControlRequest = Type.Object(bulkFields, {
  $id: "syncplane.v1.BulkConnectorsRequest",
  title: "Bulk Connectors Request",
  additionalProperties: false,
});

export type ConnectorSelector = Static<typeof ConnectorSelector>;
export type BulkRequest = Static<typeof BulkRequest>;

export const BulkResult = Type.Object(
  {
    appId: Type.String(),
    connectorId: Type.String(),
    outcome: Type.Unsafe<(typeof OUTCOMES)[number]>({ type: "string", enum: [...OUTCOMES] }),
    error: Type.Optional(Type.String()),
  },
  { $id: "syncplane.v1.BulkConnectorResult", title: "Bulk Connector Result" },
);

export const BulkResponse = Type.Object(
  {
    results: Type.Array(
      Type.Unsafe<Static<typeof BulkResult>>({ $ref: "syncplane.v1.BulkConnectorResult#" }),
    ),
    dryRun: Type.Optional(Type.Boolean()),
  },
  { $id: "syncplane.v1.BulkConnectorsResponse", title: "Bulk Connectors Response" },
);
export type BulkResponse = Static<typeof BulkResponse>;
