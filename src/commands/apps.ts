// App commands: create, update, delete.

import { failedPrecondition, invalidArgument } from "../domain/errors.js";
import { checkAttributes, checkLength } from "../domain/limits.js";
import type { AppRecord } from "../domain/model.js";
import { newId } from "../runtime.js";
import type { AppPatch } from "../store/store.js";
import { audit, type Actor, type Runtime } from "./context.js";
import { lockApp, requireApp } from "./lookups.js";

export interface CreateAppInput {
  readonly displayName: string;
  readonly description?: string;
  readonly attributes?: Record<string, unknown>;
}

export async function createApp(
  runtime: Runtime,
  actor: Actor,
  input: CreateAppInput,
): Promise<AppRecord> {
  const displayName = input.displayName.trim();
  if (!displayName) throw invalidArgument("displayName is required and must not be blank");
  checkLength("displayName", input.displayName, "displayName");
  checkLength("description", input.description ?? "", "description");
  checkAttributes(input.attributes ?? {});
  return runtime.store.transaction(async (tx) => {
    const now = runtime.clock.now();
    const app: AppRecord = {
      id: newId(runtime.clock),
      displayName,
      description: input.description ?? "",
      attributes: input.attributes ?? {},
      createdAt: now,
      updatedAt: now,
    };
    await tx.insertApp(app);
    await audit(tx, runtime, actor, now, {
      action: "app.create",
      objectType: "app",
      objectId: app.id,
      details: { displayName },
    });
    return app;
  });
}

export async function updateApp(
  runtime: Runtime,
  actor: Actor,
  appId: string,
  patch: AppPatch,
): Promise<AppRecord> {
  if (patch.displayName !== undefined && patch.displayName.trim() === "") {
    throw invalidArgument("displayName must not be blank");
  }
  checkLength("displayName", patch.displayName ?? "", "displayName");
  checkLength("description", patch.description ?? "", "description");
  checkAttributes(patch.attributes ?? {});
  return runtime.store.transaction(async (tx) => {
    const current = await lockApp(tx, appId);
    const named =
      patch.displayName !== undefined ||
      patch.description !== undefined ||
      Object.keys(patch.attributes ?? {}).length > 0;
    if (!named) return current; // an update that names no field changes nothing
    const now = runtime.clock.now();
    const merged: AppPatch = {
      ...patch,
      ...(patch.attributes ? { attributes: { ...current.attributes, ...patch.attributes } } : {}),
    };
    await tx.updateApp(appId, merged, now);
    await audit(tx, runtime, actor, now, {
      action: "app.update",
      objectType: "app",
      objectId: appId,
      details: { fields: Object.keys(patch) },
    });
    return requireApp(tx, appId);
  });
}

/** Deleting an app that still has connectors is refused: delete them first, nothing is lost. */
export async function deleteApp(runtime: Runtime, actor: Actor, appId: string): Promise<void> {
  await runtime.store.transaction(async (tx) => {
    await lockApp(tx, appId);
    const connectors = await tx.countConnectors(appId);
    if (connectors > 0) {
      throw failedPrecondition(
        `app "${appId}" still has ${connectors} connector(s); delete them before deleting the app`,
      );
    }
    const now = runtime.clock.now();
    await tx.deleteApp(appId, now);
    await audit(tx, runtime, actor, now, {
      action: "app.delete",
      objectType: "app",
      objectId: appId,
    });
  });
}
