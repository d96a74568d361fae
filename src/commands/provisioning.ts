// Provisioning commands: ask a connector to grant an entitlement or revoke a grant, and cancel a
// request that has not started. Requests are checked against the connector's applied inventory
// (ids exactly as the inventory API shows them); whether the grant already exists or the revoke
// has already happened is the connector's call, not ours. The rules (held while paused, one
// open task per identical request, FIFO) are in domain/provisioning.ts.

import { failedPrecondition, notFound } from "../domain/errors.js";
import type { ResourceRef } from "../domain/inventory.js";
import { checkLength } from "../domain/limits.js";
import type { ConnectorRecord } from "../domain/model.js";
import {
  initialTaskState,
  requestKey,
  type ProvisioningTaskRecord,
  type TaskRequest,
} from "../domain/provisioning.js";
import { newId } from "../runtime.js";
import type { StoreTx } from "../store/store.js";
import { audit, type Actor, type Runtime } from "./context.js";
import { lockConnector, requireTask } from "./lookups.js";

export interface GrantInput {
  readonly appId: string;
  readonly connectorId: string;
  readonly entitlementId: string;
  readonly principal: ResourceRef;
  readonly note?: string;
}

export interface RevokeInput {
  readonly appId: string;
  readonly connectorId: string;
  readonly grantId: string;
  readonly note?: string;
}

export interface TaskOutcome {
  readonly task: ProvisioningTaskRecord;
  /** False when an identical open request already existed and is returned instead. */
  readonly created: boolean;
}

export async function requestGrant(
  runtime: Runtime,
  actor: Actor,
  input: GrantInput,
): Promise<TaskOutcome> {
  checkLength("entitlementId", input.entitlementId, "externalId");
  checkLength("principal.resourceTypeId", input.principal.resourceTypeId, "externalId");
  checkLength("principal.resourceId", input.principal.resourceId, "externalId");
  checkLength("note", input.note ?? "", "note");
  return runtime.store.transaction(async (tx) => {
    const connector = await lockConnector(tx, input.appId, input.connectorId);
    const syncId = appliedSync(connector);
    if (!(await tx.getInventoryEntitlement(syncId, input.entitlementId))) {
      throw notFound(
        `entitlement "${input.entitlementId}" not found in the connector's applied inventory`,
      );
    }
    if (!(await tx.getInventoryResource(syncId, input.principal))) {
      throw notFound(
        `principal "${input.principal.resourceTypeId}:${input.principal.resourceId}" not found in the connector's applied inventory`,
      );
    }
    return enqueueTask(tx, runtime, actor, connector, input.note ?? "", {
      kind: "GRANT",
      entitlementId: input.entitlementId,
      principal: input.principal,
    });
  });
}

export async function requestRevoke(
  runtime: Runtime,
  actor: Actor,
  input: RevokeInput,
): Promise<TaskOutcome> {
  checkLength("grantId", input.grantId, "externalId");
  checkLength("note", input.note ?? "", "note");
  return runtime.store.transaction(async (tx) => {
    const connector = await lockConnector(tx, input.appId, input.connectorId);
    const grant = await tx.getInventoryGrant(appliedSync(connector), input.grantId);
    if (!grant) {
      throw notFound(`grant "${input.grantId}" not found in the connector's applied inventory`);
    }
    return enqueueTask(
      tx,
      runtime,
      actor,
      connector,
      input.note ?? "",
      { kind: "REVOKE", grantId: grant.id },
      { entitlementId: grant.entitlementId, principal: grant.principal },
    );
  });
}

export interface TaskRef {
  readonly appId: string;
  readonly connectorId: string;
  readonly taskId: string;
}

/** Cancels a task that has not started (QUEUED or HELD); a started or ended one is refused. */
export async function cancelTask(
  runtime: Runtime,
  actor: Actor,
  input: TaskRef,
): Promise<ProvisioningTaskRecord> {
  checkLength("task_id", input.taskId, "id");
  return runtime.store.transaction(async (tx) => {
    const connector = await lockConnector(tx, input.appId, input.connectorId);
    const task = await requireTask(tx, connector.id, input.taskId);
    const now = runtime.clock.now();
    if (!(await tx.cancelProvisioningTask(task.id, `canceled by ${actor.name}`, now))) {
      throw failedPrecondition(
        `task "${task.id}" is ${task.state}; only a QUEUED or HELD task can be canceled`,
      );
    }
    await audit(tx, runtime, actor, now, {
      action: "provisioning.cancel",
      objectType: "provisioning_task",
      objectId: task.id,
      details: { connectorId: connector.id, kind: task.kind },
    });
    return requireTask(tx, connector.id, task.id);
  });
}

function appliedSync(connector: ConnectorRecord): string {
  if (connector.appliedSyncId === null) {
    throw failedPrecondition(
      `connector "${connector.id}" has no applied inventory yet; run a sync (ForceSync) before provisioning`,
    );
  }
  return connector.appliedSyncId;
}

async function enqueueTask(
  tx: StoreTx,
  runtime: Runtime,
  actor: Actor,
  connector: ConnectorRecord,
  note: string,
  request: TaskRequest,
  parts?: { entitlementId: string; principal: ResourceRef },
): Promise<TaskOutcome> {
  const now = runtime.clock.now();
  const id = newId(runtime.clock);
  const task = await tx.insertProvisioningTask({
    requestKey: requestKey(request),
    task: {
      id,
      appId: connector.appId,
      connectorId: connector.id,
      kind: request.kind,
      state: initialTaskState(await tx.listHolds(connector.id)),
      entitlementId:
        request.kind === "GRANT" ? request.entitlementId : (parts?.entitlementId ?? ""),
      principal: request.kind === "GRANT" ? request.principal : (parts?.principal ?? null),
      grantId: request.kind === "REVOKE" ? request.grantId : "",
      note: note.trim(),
      requestedBy: actor.name,
      createdAt: now,
      startedAt: null,
      finishedAt: null,
      result: "",
      error: "",
      leaseOwner: null,
      leaseExpiresAt: null,
    },
  });
  const created = task.id === id;
  if (created) {
    await audit(tx, runtime, actor, now, {
      action: request.kind === "GRANT" ? "provisioning.grant" : "provisioning.revoke",
      objectType: "provisioning_task",
      objectId: task.id,
      details: {
        connectorId: connector.id,
        state: task.state,
        entitlementId: task.entitlementId,
        principal: task.principal,
        grantId: task.grantId,
        note: task.note,
      },
    });
  }
  return { task, created };
}
