// The Connector read model: how holds and the engine's last recorded status show up in the C1
// fields `status`, `canResumeSync` and `syncDisabled*`.

import type { Hold } from "./holds.js";
import type { ConnectorSyncStatus, SyncStatus } from "./model.js";

export interface ConnectorControlView {
  readonly status: ConnectorSyncStatus;
  readonly canResumeSync: boolean;
  readonly syncDisabledAt: number | null;
  readonly syncDisabledReason: string;
  readonly syncDisabledCategory: string;
  /** When a timed pause ends by itself (null: no timer, or not paused). */
  readonly pausedUntil: number | null;
}

/**
 * A manual pause wins over everything: the connector reads back DISABLED and can be resumed.
 * A DATA_DROP hold alone leaves the engine's ERROR status in place and is reported in the
 * syncDisabled* fields, but cannot be resumed (it needs ConfirmSyncValid or a recovered sync).
 */
export function connectorControlView(
  holds: readonly Hold[],
  recorded: ConnectorSyncStatus,
): ConnectorControlView {
  const paused = holds.find((hold) => hold.kind === "PAUSED");
  const dataDrop = holds.find((hold) => hold.kind === "DATA_DROP");
  const shown = paused ?? dataDrop;
  const status: SyncStatus = paused ? "SYNC_STATUS_DISABLED" : recorded.status;
  return {
    status: { ...recorded, status, updatedAt: laterOf(recorded.updatedAt, paused?.createdAt) },
    canResumeSync: paused !== undefined,
    syncDisabledAt: shown?.createdAt ?? null,
    syncDisabledReason: shown ? shown.note || defaultReason(shown) : "",
    syncDisabledCategory: shown?.kind ?? "",
    pausedUntil: paused?.until ?? null,
  };
}

function defaultReason(hold: Hold): string {
  return hold.kind === "PAUSED"
    ? `paused by ${hold.actor}`
    : "a sync lost most of its data; confirm it with ConfirmSyncValid";
}

function laterOf(a: number | null, b: number | undefined): number | null {
  if (b === undefined) return a;
  if (a === null) return b;
  return Math.max(a, b);
}
