// What every runner of a sync does with its outcome, whether a local worker ran the connector or a
// service-mode connector uploaded its c1z: keep the file, record the snapshot (apply.ts), and
// afterwards settle the file and clear inventory rows nobody needs.

import type { Runtime } from "../commands/context.js";
import type { SyncSnapshot } from "../connectors/runner.js";
import type { Artifacts } from "../artifacts/artifacts.js";
import { recordSnapshot, type SyncEnd } from "./apply.js";
import type { ClaimedSync } from "./queue.js";
import type { StoreTx } from "../store/store.js";

/** Keeps the snapshot's c1z, records the snapshot, then releases it; says whether it kept a file. */
export async function ingestSnapshot(
  runtime: Runtime,
  claimed: ClaimedSync,
  owner: string,
  snapshot: SyncSnapshot,
  artifacts: Artifacts | undefined,
  options: {
    /** The c1z is kept already (a service-mode upload stored in shared artifacts). */
    readonly alreadyKept?: boolean;
  } = {},
): Promise<{ end: SyncEnd; kept: boolean }> {
  let kept = options.alreadyKept === true;
  try {
    // Kept before the outcome is recorded, so a sync shown SUCCEEDED has its file.
    if (!kept && snapshot.artifact && artifacts) {
      await artifacts.keepC1z(claimed.connector.id, claimed.sync.id, snapshot.artifact.path);
      kept = true;
    }
    return { end: await recordSnapshot(runtime, claimed, owner, snapshot), kept };
  } catch (error) {
    if (kept && artifacts) await artifacts.discard(claimed.connector.id, claimed.sync.id, "c1z");
    throw error;
  } finally {
    await snapshot.release();
  }
}

/**
 * After a run: the c1z kept before the outcome was recorded stays with a sync that succeeded or
 * is held; a failed attempt (its runner still owned the sync) gives it up; a deleted connector's
 * files all go. A LOST attempt leaves it: the attempt that took over replaces it. Then
 * retention, and inventory rows nobody needs any more (replaced, superseded, lost) are deleted in
 * slices. A LOST run leaves its rows: a newer attempt of the same sync may be using them.
 */
export async function settleRun(
  runtime: Runtime,
  claimed: ClaimedSync,
  end: SyncEnd,
  kept: boolean,
  artifacts: Artifacts | undefined,
): Promise<void> {
  const { connector, sync } = claimed;
  if (artifacts) {
    if (kept && !(await runtime.store.findConnector(connector.id))) {
      await artifacts.removeConnector(connector.id);
    } else if (kept && (end.state === "QUEUED" || end.state === "ERRORED")) {
      await artifacts.discard(connector.id, sync.id, "c1z");
    }
    await artifacts.prune(runtime.store, connector.id);
  }
  for (const syncId of await runtime.store.unneededInventorySyncs(10)) {
    await discardInventory(runtime, syncId);
  }
}

/**
 * Deletes a sync's stored inventory and the diffs it takes part in, one slice per transaction so
 * other commands get turns.
 */
export async function discardInventory(runtime: Runtime, syncId: string): Promise<void> {
  const slice = async (tx: StoreTx) => {
    const diffRows = await tx.deleteInventoryDiffs(syncId, 5000);
    return diffRows + (diffRows < 5000 ? await tx.deleteInventory(syncId, 5000 - diffRows) : 0);
  };
  while ((await runtime.store.transaction(slice)) > 0) {
    // next slice
  }
}
