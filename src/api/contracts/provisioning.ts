// Provisioning tasks (syncplane's own API, C1 naming style; SPEC §8): grant and revoke requests
// that a connector runs in order, held while it is paused.

import { Type, type Static } from "typebox";
import {
  TASK_KINDS,
  TASK_STATES,
  type TaskKind,
  type TaskState,
} from "../../domain/provisioning.js";
import { NonBlank, Text, Timestamp, ref } from "./common.js";

const Principal = Type.Object(
  {
    resourceTypeId: NonBlank("externalId", { description: "The principal's resource type id." }),
    resourceId: NonBlank("externalId", { description: "The principal's resource id." }),
  },
  { additionalProperties: false },
);

export const ProvisioningTask = Type.Object(
  {
    id: Type.String(),
    appId: Type.String(),
    connectorId: Type.String(),
    kind: Type.Unsafe<TaskKind>({ type: "string", enum: [...TASK_KINDS] }),
    state: Type.Unsafe<TaskState>({ type: "string", enum: [...TASK_STATES] }),
    entitlementId: Type.Optional(Type.String()),
    principal: Type.Optional(
      Type.Object({ resourceTypeId: Type.String(), resourceId: Type.String() }),
    ),
    grantId: Type.Optional(Type.String()),
    note: Type.Optional(Type.String()),
    requestedBy: Type.Optional(Type.String()),
    createdAt: Type.Optional(Timestamp),
    startedAt: Type.Optional(Timestamp),
    finishedAt: Type.Optional(Timestamp),
    heldBy: Type.Optional(
      Type.Array(Type.String(), { description: "The hold kinds keeping a HELD task (PAUSED)." }),
    ),
    result: Type.Optional(
      Type.String({ description: "The connector's answer on success, e.g. already exists." }),
    ),
    error: Type.Optional(Type.String()),
  },
  { $id: "syncplane.v1.ProvisioningTask", title: "Provisioning Task" },
);
export type ProvisioningTask = Static<typeof ProvisioningTask>;

export const GrantRequest = Type.Object(
  {
    entitlementId: NonBlank("externalId", {
      description: "The entitlement's id, as the inventory API shows it.",
    }),
    principal: Principal,
    note: Type.Optional(
      Text("note", { description: "Why: shown on the task and in the audit log." }),
    ),
  },
  {
    $id: "syncplane.v1.CreateGrantTaskRequest",
    title: "Create Grant Task Request",
    additionalProperties: false,
  },
);
export type GrantRequest = Static<typeof GrantRequest>;

export const RevokeRequest = Type.Object(
  {
    grantId: NonBlank("externalId", {
      description: "The grant's id, as the inventory API shows it.",
    }),
    note: Type.Optional(
      Text("note", { description: "Why: shown on the task and in the audit log." }),
    ),
  },
  {
    $id: "syncplane.v1.CreateRevokeTaskRequest",
    title: "Create Revoke Task Request",
    additionalProperties: false,
  },
);
export type RevokeRequest = Static<typeof RevokeRequest>;

export const CancelTaskRequest = Type.Object(
  {},
  {
    $id: "syncplane.v1.CancelProvisioningTaskRequest",
    title: "Cancel Provisioning Task Request",
    additionalProperties: false,
  },
);

export const TaskResponse = Type.Object(
  { task: ref("syncplane.v1.ProvisioningTask") },
  { $id: "syncplane.v1.ProvisioningTaskResponse", title: "Provisioning Task Response" },
);

export const ListTasksResponse = Type.Object(
  {
    list: Type.Array(ref("syncplane.v1.ProvisioningTask")),
    nextPageToken: Type.Optional(Type.String()),
  },
  { $id: "syncplane.v1.ListProvisioningTasksResponse", title: "List Provisioning Tasks Response" },
);
