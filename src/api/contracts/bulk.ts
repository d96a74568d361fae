// Bulk operations (syncplane's own API; SPEC §8): pause, resume or force the connectors a
// selector chooses, with a dry run that changes nothing.

import { Type, type Static } from "typebox";
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

export const ConnectorSelector = Type.Object(
  {
    appId: Type.Optional(Text("id", { minLength: 1 })),
    catalogId: Type.Optional(Text("shortText", { minLength: 1 })),
    // Connectors that have every one of these labels.
    labels: Type.Optional(
      Nullable(
        labelsSchema({
          minProperties: 1,
          description: "Connectors that have every one of these labels.",
        }),
      ),
    ),
    status: Type.Optional(
      Type.Unsafe<string>({
        type: "string",
        enum: [...SYNC_STATUSES],
        description: "The connector's status as it reads back (SYNC_STATUS_DISABLED while paused).",
      }),
    ),
    holdKind: Type.Optional(
      Type.Unsafe<string>({
        type: "string",
        enum: [...HOLD_KINDS],
        description: "Connectors that have a hold of this kind.",
      }),
    ),
  },
  {
    $id: "syncplane.v1.ConnectorSelector",
    title: "Connector Selector",
    additionalProperties: false,
    minProperties: 1,
    description:
      "Every field narrows the choice (all must hold); at least one is required. At most 1000 connectors.",
  },
);

const bulkFields = {
  selector: Type.Unsafe<Static<typeof ConnectorSelector>>({
    $ref: "syncplane.v1.ConnectorSelector#",
  }),
  dryRun: Type.Optional(
    Type.Boolean({
      description:
        "Run each connector's command and roll it back: the results say exactly what would happen; nothing changes.",
    }),
  ),
};

/** Bulk pause: a note and a timer may go with it. */
export const BulkRequest = Type.Object(
  {
    ...bulkFields,
    note: Type.Optional(Text("note")),
    until: Type.Optional(
      Type.String({
        maxLength: 64,
        minLength: 1,
        pattern: UNTIL_PATTERN,
        description: "Resume by itself then (an RFC 3339 time or a duration such as 2h).",
      }),
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
