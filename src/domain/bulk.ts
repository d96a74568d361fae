// Bulk operations: pause, resume or force many connectors chosen by a selector. Every field of
// the selector narrows the choice (all must hold); an empty selector is refused, so that a
// missing field never turns into "every connector". What each connector's command did (or, in a
// dry run, would do) is reported per connector; one connector's failure does not stop the others.

import { connectorControlView } from "./connector-view.js";
import { invalidArgument } from "./errors.js";
import { HOLD_KINDS, type Hold, type HoldKind } from "./holds.js";
import { labelsMatch, parseLabels, type Labels } from "./labels.js";
import { SYNC_STATUSES, type ConnectorRecord, type SyncStatus } from "./model.js";

export const BULK_ACTIONS = ["pause", "resume", "force_sync"] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

/** The most connectors one bulk request may select. */
export const MAX_BULK_CONNECTORS = 1000;

export interface ConnectorSelector {
  readonly appId?: string;
  readonly catalogId?: string;
  readonly labels?: Labels;
  /** The connector's status as it reads back (SYNC_STATUS_DISABLED while paused…). */
  readonly status?: SyncStatus;
  /** Connectors that have a hold of this kind. */
  readonly holdKind?: HoldKind;
  /** These connectors (by id, across apps; the console's picked rows), without repeats. */
  readonly connectorIds?: readonly string[];
}

/**
 * What a command did to one connector (in a dry run: what it would do).
 * PAUSED / RESUMED / SYNC_QUEUED changed the connector; ALREADY_PAUSED, NOT_PAUSED and
 * COALESCED (a queued sync absorbed the request) left it as it was; TIMER_REPLACED: an already
 * paused connector got the request's timer and note; FAILED: refused, see the error.
 */
export type BulkOutcome =
  | "PAUSED"
  | "ALREADY_PAUSED"
  | "TIMER_REPLACED"
  | "RESUMED"
  | "NOT_PAUSED"
  | "SYNC_QUEUED"
  | "COALESCED"
  | "FAILED";

export interface RawSelector {
  readonly appId?: unknown;
  readonly catalogId?: unknown;
  readonly labels?: unknown;
  readonly status?: unknown;
  readonly holdKind?: unknown;
  readonly connectorIds?: unknown;
}

/** The selector checked; at least one field must narrow the choice. */
export function parseSelector(raw: RawSelector | null | undefined): ConnectorSelector {
  const selector: { -readonly [K in keyof ConnectorSelector]: ConnectorSelector[K] } = {};
  const text = (value: unknown, field: string): string | undefined => {
    if (value === undefined || value === null || value === "") return undefined;
    if (typeof value !== "string") throw invalidArgument(`selector.${field} must be a string`);
    return value;
  };
  const appId = text(raw?.appId, "appId");
  if (appId !== undefined) selector.appId = appId;
  const catalogId = text(raw?.catalogId, "catalogId");
  if (catalogId !== undefined) selector.catalogId = catalogId;
  const labels = parseLabels(raw?.labels, "selector.labels");
  if (Object.keys(labels).length > 0) selector.labels = labels;
  /** A field that must be one of `names`, or absent. */
  const oneOf = <T extends string>(value: unknown, field: string, names: readonly T[]) => {
    const given = text(value, field);
    if (given !== undefined && !(names as readonly string[]).includes(given)) {
      throw invalidArgument(
        `selector.${field} must be one of ${names.join(", ")}, got ${JSON.stringify(given)}`,
      );
    }
    return given as T | undefined;
  };
  const status = oneOf<SyncStatus>(raw?.status, "status", SYNC_STATUSES);
  if (status !== undefined) selector.status = status;
  const holdKind = oneOf<HoldKind>(raw?.holdKind, "holdKind", HOLD_KINDS);
  if (holdKind !== undefined) selector.holdKind = holdKind;
  const connectorIds = idList(raw?.connectorIds);
  if (connectorIds.length > 0) selector.connectorIds = connectorIds;
  if (Object.keys(selector).length === 0) {
    throw invalidArgument(
      "selector must name at least one of appId, catalogId, labels, status, holdKind, " +
        "connectorIds (an empty selector would select every connector)",
    );
  }
  return selector;
}

/** selector.connectorIds: non-empty strings, at most MAX_BULK_CONNECTORS; repeats count once. */
function idList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidArgument("selector.connectorIds must be a list of ids");
  const ids = new Set<string>();
  for (const [index, id] of value.entries()) {
    if (typeof id !== "string" || id === "") {
      throw invalidArgument(`selector.connectorIds[${index}] must be a connector id`);
    }
    ids.add(id);
  }
  if (ids.size > MAX_BULK_CONNECTORS) {
    throw invalidArgument(
      `selector.connectorIds names ${ids.size} connectors, at most ${MAX_BULK_CONNECTORS}`,
    );
  }
  return [...ids];
}

/** Whether the selector chooses this connector (with its holds). */
export function selects(
  selector: ConnectorSelector,
  connector: ConnectorRecord,
  holds: readonly Hold[],
): boolean {
  if (selector.connectorIds && !selector.connectorIds.includes(connector.id)) return false;
  if (selector.appId !== undefined && connector.appId !== selector.appId) return false;
  if (selector.catalogId !== undefined && connector.catalogId !== selector.catalogId) return false;
  if (selector.labels && !labelsMatch(connector.labels, selector.labels)) return false;
  if (selector.holdKind && !holds.some((hold) => hold.kind === selector.holdKind)) return false;
  if (selector.status !== undefined) {
    const shown = connectorControlView(holds, connector.syncStatus).status.status;
    if (shown !== selector.status) return false;
  }
  return true;
}
