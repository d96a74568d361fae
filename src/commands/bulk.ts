// Bulk operations (SPEC §8 "Beyond the seeds"): PauseSync, ResumeSync or ForceSync on every
// connector a selector chooses. Each connector gets its own command — its own transaction, its
// own audit event — so one failure does not stop the others and is reported with that connector.
//
// A dry run is the same commands run to the end and then rolled back: its outcomes are exactly
// what the real run would report at that moment (a pause that would cancel, a force that would
// coalesce, a refusal), and nothing is written — no hold, no sync, no audit event.

import {
  MAX_BULK_CONNECTORS,
  parseSelector,
  selects,
  type BulkAction,
  type BulkOutcome,
  type ConnectorSelector,
  type RawSelector,
} from "../domain/bulk.js";
import { AppError, invalidArgument } from "../domain/errors.js";
import type { ConnectorRecord } from "../domain/model.js";
import { pauseUntil } from "../domain/pause.js";
import type { Store, StoreReader } from "../store/store.js";
import type { Actor, Runtime } from "./context.js";
import { forceSync } from "./force-sync.js";
import { pauseSync } from "./pause-sync.js";
import { resumeSync } from "./resume-sync.js";

export interface BulkInput {
  readonly action: BulkAction;
  readonly selector: RawSelector | null | undefined;
  readonly dryRun?: boolean;
  /** pause only */
  readonly note?: string;
  /** pause only: an RFC 3339 time or a duration (domain/pause.ts) */
  readonly until?: string;
}

export interface BulkResult {
  readonly appId: string;
  readonly connectorId: string;
  readonly outcome: BulkOutcome;
  /** Why the command was refused (outcome FAILED), as the single command would answer. */
  readonly error?: string;
}

const PAGE = 500;

export async function bulkConnectors(
  runtime: Runtime,
  actor: Actor,
  input: BulkInput,
): Promise<BulkResult[]> {
  const selector = parseSelector(input.selector);
  if (input.action !== "pause" && (input.note !== undefined || input.until !== undefined)) {
    throw invalidArgument("note and until apply to pause only");
  }
  // Checked once for all (each command checks it again).
  if (input.action === "pause") pauseUntil(input.until, runtime.clock.now());
  const { chosen, missing } = selector.connectorIds
    ? await connectorsById(runtime.store, selector, selector.connectorIds)
    : { chosen: await selectConnectors(runtime.store, selector), missing: [] };
  const run = input.dryRun ? { ...runtime, store: rolledBack(runtime.store) } : runtime;
  // A named connector that is gone (deleted since the list was read) is that connector's failure.
  const results: BulkResult[] = missing.map((connectorId) => ({
    appId: selector.appId ?? "",
    connectorId,
    outcome: "FAILED",
    error: `connector ${connectorId} not found`,
  }));
  for (const connector of chosen) {
    const ref = { appId: connector.appId, connectorId: connector.id };
    try {
      const outcome: BulkOutcome =
        input.action === "pause"
          ? await pauseSync(run, actor, {
              ...ref,
              ...(input.note !== undefined && { note: input.note }),
              ...(input.until !== undefined && { until: input.until }),
            })
          : input.action === "resume"
            ? await resumeSync(run, actor, ref)
            : await forceSync(run, actor, ref);
      results.push({ ...ref, outcome });
    } catch (error) {
      // Refusals are the connector's own answer; anything else (the database gone) stops here.
      if (!(error instanceof AppError) || error.codeName === "UNAVAILABLE") throw error;
      results.push({ ...ref, outcome: "FAILED", error: error.publicMessage });
    }
  }
  return results;
}

/**
 * The connectors a selector naming ids chooses (the other fields must hold too), by app then id;
 * `missing`: ids of no live connector.
 */
async function connectorsById(
  store: StoreReader,
  selector: ConnectorSelector,
  ids: readonly string[],
): Promise<{ chosen: ConnectorRecord[]; missing: string[] }> {
  const found = await Promise.all(ids.map((id) => store.findConnector(id)));
  const live = found.filter((connector) => connector !== null);
  const holds = await store.listHoldsFor(live.map((connector) => connector.id));
  const chosen = live
    .filter((connector) => selects(selector, connector, holds.get(connector.id) ?? []))
    .sort((a, b) => byKey(a.appId, b.appId) || byKey(a.id, b.id));
  return { chosen, missing: ids.filter((_, index) => found[index] === null) };
}

/** Code-unit order, as the store lists ids. */
const byKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The live connectors the selector chooses, by app then id; more than the limit is refused. */
async function selectConnectors(
  store: StoreReader,
  selector: ConnectorSelector,
): Promise<ConnectorRecord[]> {
  const appIds: string[] = [];
  if (selector.appId !== undefined) {
    if (await store.getApp(selector.appId)) appIds.push(selector.appId);
  } else {
    let after: string | null = null;
    do {
      const page = await store.listApps({ pageSize: PAGE, after });
      appIds.push(...page.items.map((app) => app.id));
      after = page.nextKey;
    } while (after);
  }
  const chosen: ConnectorRecord[] = [];
  for (const appId of appIds) {
    let after: string | null = null;
    do {
      const page = await store.listConnectors(appId, { pageSize: PAGE, after });
      const holds = await store.listHoldsFor(page.items.map((c) => c.id));
      for (const connector of page.items) {
        if (!selects(selector, connector, holds.get(connector.id) ?? [])) continue;
        chosen.push(connector);
        if (chosen.length > MAX_BULK_CONNECTORS) {
          throw invalidArgument(
            `the selector chooses more than ${MAX_BULK_CONNECTORS} connectors; narrow it (appId, catalogId, labels, status, holdKind)`,
          );
        }
      }
      after = page.nextKey;
    } while (after);
  }
  return chosen;
}

/** Thrown to roll a dry run's transaction back once its command has run to the end. */
const ROLL_BACK = Symbol("dry run");

/** `store` whose transactions run to the end and are then rolled back, answering as if kept. */
function rolledBack(store: Store): Store {
  return {
    ...store,
    async transaction<T>(fn: Parameters<Store["transaction"]>[0]): Promise<T> {
      let value: T | undefined;
      try {
        await store.transaction(async (tx) => {
          value = (await fn(tx)) as T;
          throw ROLL_BACK;
        });
      } catch (error) {
        if (error !== ROLL_BACK) throw error;
      }
      return value as T;
    },
  };
}
