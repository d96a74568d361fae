import { Type } from "typebox";
import { Timestamp, ref } from "./common.js";

export const AuditEvent = Type.Object(
  {
    id: Type.String(),
    at: Timestamp,
    actor: Type.String(),
    action: Type.String(),
    objectType: Type.String(),
    objectId: Type.String(),
    requestId: Type.Optional(Type.String()),
    details: Type.Optional(Type.Object({}, { additionalProperties: true })),
  },
  { $id: "syncplane.v1.AuditEvent", title: "Audit Event" },
);
export interface AuditEvent {
  id: string;
  at: string;
  actor: string;
  action: string;
  objectType: string;
  objectId: string;
  requestId?: string;
  details?: Record<string, unknown>;
}

export const ListAuditEventsResponse = Type.Object(
  {
    list: Type.Array(ref("syncplane.v1.AuditEvent")),
    nextPageToken: Type.Optional(Type.String()),
  },
  { $id: "syncplane.v1.ListAuditEventsResponse", title: "List Audit Events Response" },
);
export interface ListAuditEventsResponse {
  list: AuditEvent[];
  nextPageToken?: string;
}
