// The data-drop diff of a finished sync (domain/diff.ts): worked out once per (sync, base) pair,
// in slices of SLICE_ROWS keys per transaction so that other commands get turns (on SQLite the
// writer is shared), then read page by page from the worked-out rows.

import {
  chooseDiffBase,
  keepsInventory,
  laneIndex,
  parseDiffFilter,
  type DiffItem,
  type DiffTotals,
} from "../domain/diff.js";
import { aborted, invalidArgument } from "../domain/errors.js";
import { encodePageToken, parsePageRequest } from "../domain/pagination.js";
import type { ConnectorRecord, SyncRecord } from "../domain/model.js";
import { ALL_LANES } from "../store/diff.js";
import type { StoreReader } from "../store/store.js";
import type { Runtime } from "./context.js";
import { requireConnector, requireSync } from "./lookups.js";

const SLICE_ROWS = 20_000;

export interface SyncDiffQuery {
  readonly kind?: string | undefined;
  readonly change?: string | undefined;
  readonly resourceTypeId?: string | undefined;
  readonly pageSize?: string | number | undefined;
  readonly pageToken?: string | undefined;
}

export interface SyncDiffPage {
  readonly syncId: string;
  /** The sync compared with; null when there is none (the connector's first data). */
  readonly baseSyncId: string | null;
  /** The whole diff's totals (whatever the filters), on the first page only. */
  readonly totals: DiffTotals | null;
  readonly list: readonly DiffItem[];
  readonly nextPageToken: string | null;
}

const changedMeanwhile = () =>
  aborted(
    "the connector applied another sync while the diff was read, so one of the two syncs no longer keeps its inventory; ask again without page_token",
  );

export async function syncDiff(
  runtime: Runtime,
  appId: string,
  connectorId: string,
  syncId: string,
  query: SyncDiffQuery,
): Promise<SyncDiffPage> {
  const { store } = runtime;
  const connector = await requireConnector(store, appId, connectorId);
  const sync = await requireSync(store, connector.id, syncId);
  const filter = parseDiffFilter(query.kind, query.change, query.resourceTypeId);
  const request = parsePageRequest(query.pageSize, query.pageToken);

  let baseSyncId: string | null;
  let totals: DiffTotals | null = null;
  let from = { lane: 0, key: null as string | null };
  if (request.after === null) {
    baseSyncId = chooseDiffBase(connector, sync);
    totals = await workOut(runtime, connector, sync, baseSyncId);
  } else {
    const token = parseToken(request.after);
    baseSyncId = token.base;
    from = { lane: token.lane, key: token.key };
    if (!(await store.getInventoryDiff(sync.id, baseSyncId))?.totals) throw changedMeanwhile();
  }

  const lanes = filter.lanes.filter((lane) => laneIndex(lane) >= from.lane);
  const list: DiffItem[] = [];
  let next: { lane: number; key: string | null } | null = null;
  for (const [i, lane] of lanes.entries()) {
    const index = laneIndex(lane);
    const left = request.pageSize - list.length;
    if (left === 0) {
      // The page is full at the end of a lane: a token only if a later lane has rows.
      if (await hasRows(store, sync.id, baseSyncId, lanes.slice(i), filter.resourceTypeId)) {
        next = { lane: index, key: null };
      }
      break;
    }
    const page = await store.listInventoryDiff(sync.id, baseSyncId, lane, filter.resourceTypeId, {
      pageSize: left,
      after: index === from.lane ? from.key : null,
    });
    list.push(...page.items);
    if (page.nextKey !== null) {
      next = { lane: index, key: page.nextKey };
      break;
    }
  }
  return {
    syncId: sync.id,
    baseSyncId,
    totals,
    list,
    nextPageToken:
      next === null
        ? null
        : encodePageToken(JSON.stringify({ b: baseSyncId ?? "", l: next.lane, k: next.key })),
  };
}

/** The diff's totals, working the diff out first when nobody has yet. */
async function workOut(
  runtime: Runtime,
  connector: ConnectorRecord,
  sync: SyncRecord,
  baseSyncId: string | null,
): Promise<DiffTotals> {
  const { store } = runtime;
  const done = (await store.getInventoryDiff(sync.id, baseSyncId))?.totals;
  if (done) return done;
  await store.transaction(async (tx) => {
    // Both syncs must still keep their rows as the diff starts; after that, deleting either
    // deletes the diff, which the slices notice.
    const now = await tx.getConnector(connector.appId, connector.id);
    const current = now ? await tx.getSync(now.id, sync.id) : null;
    const baseKept =
      baseSyncId === null ||
      baseSyncId === now?.appliedSyncId ||
      baseSyncId === now?.previousAppliedSyncId;
    if (!now || !current || !keepsInventory(now, current) || !baseKept) throw changedMeanwhile();
    await tx.startInventoryDiff(sync.id, baseSyncId, runtime.clock.now());
  });
  for (const lane of ALL_LANES) {
    let after: string | null = null;
    do {
      const from: string | null = after;
      const next: string | null | "gone" = await store.transaction((tx) =>
        tx.diffInventorySlice(sync.id, baseSyncId, lane, from, SLICE_ROWS),
      );
      if (next === "gone") throw changedMeanwhile();
      after = next;
    } while (after !== null);
  }
  const totals = await store.transaction((tx) => tx.finishInventoryDiff(sync.id, baseSyncId));
  if (!totals) throw changedMeanwhile();
  return totals;
}

async function hasRows(
  store: StoreReader,
  syncId: string,
  baseSyncId: string | null,
  lanes: readonly { kind: DiffItem["kind"]; change: DiffItem["change"] }[],
  resourceTypeId: string | undefined,
): Promise<boolean> {
  for (const lane of lanes) {
    const page = await store.listInventoryDiff(syncId, baseSyncId, lane, resourceTypeId, {
      pageSize: 1,
      after: null,
    });
    if (page.items.length > 0) return true;
  }
  return false;
}

function parseToken(text: string): { base: string | null; lane: number; key: string | null } {
  let token: { b?: unknown; l?: unknown; k?: unknown };
  try {
    token = JSON.parse(text) as typeof token;
  } catch {
    token = {};
  }
  if (
    typeof token.b !== "string" ||
    typeof token.l !== "number" ||
    !Number.isInteger(token.l) ||
    token.l < 0 ||
    token.l >= ALL_LANES.length ||
    (token.k !== null && typeof token.k !== "string")
  ) {
    throw invalidArgument("page_token does not belong to this list; start again without it");
  }
  return { base: token.b === "" ? null : token.b, lane: token.l, key: token.k };
}
