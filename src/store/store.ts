// The Store: everything syncplane persists, behind one interface that the SQLite backend
// (store/sqlite) implements now and the PostgreSQL backend mirrors. Callers never see SQL or the
// backend in use.
//
// Writes happen inside `transaction`: one transaction per command, so a state change and the
// queue rows it implies commit together. A transaction callback must only await the `tx` it is
// given (no network or file IO inside), because on SQLite transactions are serialised.
//
// Concurrency. On SQLite one transaction writes at a time and every rule below holds trivially
// (capabilities.singleWriter); on PostgreSQL (READ COMMITTED, many nodes) they are what keeps
// commands, workers, connector processes and schedulers from racing:
// 1. Lock order: app, then connector, then the connector's rows (holds, schedule, syncs, tasks).
//    A command locks with lockApp/lockConnector (SELECT … FOR UPDATE) before it reads what it
//    decides on, and waits for the lock. The engine's transactions that end or take back work
//    (recording a snapshot or a failure, a task's outcome, lost-lease recovery) lock the
//    connector first too, and re-read the sync or task under that lock; a batch of them locks
//    its connectors in id order (engine/queue.ts byConnector), so two nodes cannot deadlock.
// 2. Claims never wait: claimSync, claimTask and claimDueSchedules take the row they hand out
//    and its connector with FOR UPDATE SKIP LOCKED, so a connector that a command is changing is
//    skipped for this round instead of blocking a worker or a scheduler.
// 3. One statement per claim or fire: claimSync/claimTask are one UPDATE … RETURNING with the
//    domain's rules compiled in (transitions.ts); fireSchedules advances a batch and queues its
//    syncs as a set.
// 4. Uniqueness (one QUEUED and one RUNNING sync per connector, one open task per request, one
//    hold per kind) is kept by unique indexes. Inserts that can meet a concurrent twin use
//    ON CONFLICT DO NOTHING and report what they did (insertHold → false, fireSchedules leaves
//    the connector out, insertProvisioningTask returns the existing task): a race is an answer,
//    never an error that aborts the batch.
// 5. State changes are guarded by the domain's state machines (transitions.ts): an UPDATE only
//    moves a row out of the states the domain allows, and says whether it did.

import type { CountDrop } from "../domain/data-drop.js";
import type { Hold, HoldKind } from "../domain/holds.js";
import type { SyncProgress } from "../domain/progress.js";
import type {
  AppRecord,
  AuditEvent,
  ConnectorRecord,
  ConnectorSyncStatus,
  CredentialRecord,
  PresenceRecord,
  ScheduleRecord,
  SyncCounts,
  SyncEvent,
  SyncRecord,
} from "../domain/model.js";
import type { SyncState, SyncTrigger } from "../domain/syncs.js";
import type { ProvisioningTaskRecord, TaskState } from "../domain/provisioning.js";
import type {
  EntitlementRecord,
  GrantRecord,
  ResourceRecord,
  ResourceRef,
  ResourceTypeRecord,
} from "../domain/inventory.js";
import type { DiffItem, DiffLane, DiffTotals } from "../domain/diff.js";
import type {
  DeliveryRecord,
  DeliveryState,
  WebhookEvent,
  WebhookRecord,
} from "../domain/webhooks.js";
import type { ClaimedDelivery, DeliveryOutcome, SilentConnector } from "./webhooks.js";
import type { GrantSource } from "../connectors/runner.js";

export interface Page<T> {
  readonly items: readonly T[];
  /** The sort key of the last item, when more items may follow. */
  readonly nextKey: string | null;
}

export interface PageQuery {
  readonly pageSize: number;
  readonly after: string | null;
}

/** Sync history filters (each absent or empty: no filter). */
export interface SyncListQuery extends PageQuery {
  readonly states?: readonly SyncState[];
  readonly triggers?: readonly SyncTrigger[];
  /** Queued at or after this instant. */
  readonly queuedFrom?: number;
  /** Queued before this instant. */
  readonly queuedBefore?: number;
}

export interface AppPatch {
  readonly displayName?: string;
  readonly description?: string;
  readonly attributes?: Readonly<Record<string, unknown>>;
}

export interface ConnectorPatch {
  readonly displayName?: string;
  readonly description?: string;
  readonly config?: ConnectorRecord["config"];
  readonly disableCheckBadSync?: boolean;
  readonly syncResourceTypeIds?: readonly string[];
  readonly userIds?: readonly string[];
  /** null: back to the defaults. */
  readonly dataDropPolicy?: ConnectorRecord["dataDropPolicy"];
  /** Replaces every label. */
  readonly labels?: ConnectorRecord["labels"];
}

export interface NewSync {
  readonly id: string;
  readonly connectorId: string;
  readonly appId: string;
  readonly trigger: SyncRecord["trigger"];
  readonly queuedAt: number;
  readonly requestedBy: string;
}

export interface SyncFinish {
  readonly state: SyncState;
  readonly finishedAt: number;
  readonly counts?: SyncCounts | null;
  readonly baselineCounts?: SyncCounts | null;
  readonly error?: string;
  readonly exemptResourceTypeIds?: readonly string[];
  /** ERRORED_NO_DATA: what the data-drop guard found. */
  readonly dataDrops?: readonly CountDrop[];
}

/** Rows of a sync's inventory, stored in batches under the sync's id. */
export interface InventoryBatch {
  readonly resourceTypes?: readonly ResourceTypeRecord[];
  readonly resources?: readonly ResourceRecord[];
  readonly entitlements?: readonly EntitlementRecord[];
  readonly grants?: readonly GrantRecord[];
  /**
   * The same grants again, ordered by principal then id, for the store's lookup by principal
   * (a separate pass so that its writes are sequential; grants listed by principal need it).
   */
  readonly grantPrincipals?: readonly GrantRecord[];
}

export interface InventoryRowCounts {
  readonly resourceTypes: number;
  readonly resources: number;
  readonly entitlements: number;
  readonly grants: number;
}

export interface ResourceFilter {
  readonly resourceTypeId?: string;
}

export interface EntitlementFilter {
  readonly resourceTypeId?: string;
  /** With resourceTypeId: that resource; alone: resources of that id of any type. */
  readonly resourceId?: string;
}

export interface GrantFilter {
  readonly entitlementId?: string;
  /**
   * Grants to a principal: both ids, or only its type (grants to principals of that type, ordered
   * by principal id, then grant id), or only its id (principals of that id of any type).
   */
  readonly principal?: { readonly resourceTypeId?: string; readonly resourceId?: string };
}

export interface NewProvisioningTask {
  readonly task: ProvisioningTaskRecord;
  /** domain/provisioning.ts requestKey: identical open requests share one task. */
  readonly requestKey: string;
}

export interface SyncClaim {
  readonly owner: string;
  readonly now: number;
  readonly leaseUntil: number;
  /** Only this connector's sync (its service-mode process claims for itself). */
  readonly connectorId?: string;
  /** Connectors of these catalogs are not claimed (they run as service-mode processes). */
  readonly exceptCatalogs?: readonly string[];
}

/** A task claim takes the same parameters as a sync claim. */
export type TaskClaim = SyncClaim;

/** What /metrics reads from the database at each scrape (the same on every node). */
export interface MetricsSnapshot {
  /** QUEUED and RUNNING syncs, by state and trigger. */
  readonly syncs: readonly {
    readonly state: string;
    readonly trigger: string;
    readonly count: number;
  }[];
  /** When the oldest sync that may start now was queued (null: none). */
  readonly oldestRunnableQueuedAt: number | null;
  /** Open provisioning tasks (QUEUED, HELD, RUNNING), by state. */
  readonly tasks: readonly { readonly state: string; readonly count: number }[];
  readonly holds: readonly { readonly kind: string; readonly count: number }[];
  /** Service-mode connectors that called in recently (domain/model.ts isConnected). */
  readonly connectedServiceConnectors: number;
}

/** A PAUSED hold with a timer, and whose connector it is. */
export interface TimedPause {
  readonly appId: string;
  readonly connectorId: string;
  readonly hold: Hold;
}

/** A claimed sync, and its connector as the claim left it (sync status RUNNING). */
export interface ClaimedSyncRow {
  readonly sync: SyncRecord;
  readonly connector: ConnectorRecord;
}

/** A claimed provisioning task, and its connector. */
export interface ClaimedTaskRow {
  readonly task: ProvisioningTaskRecord;
  readonly connector: ConnectorRecord;
}

export interface ScheduleFire {
  readonly connectorId: string;
  /** The schedule's next fire after this one (null: it never fires again). */
  readonly nextFireAt: number | null;
  /** The id the SCHEDULE sync gets if one is queued. */
  readonly syncId: string;
}

export interface TaskFinish {
  readonly state: "SUCCEEDED" | "FAILED";
  readonly finishedAt: number;
  readonly result?: string;
  readonly error?: string;
}

/** A connector's provisioning queue at a glance. */
export interface TaskCounts {
  readonly queued: number;
  readonly held: number;
  readonly running: number;
}

export interface AccessTokenRecord {
  readonly tokenHash: string;
  readonly credentialId: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
}

export interface AuditQuery extends PageQuery {
  readonly objectType?: string;
  readonly objectId?: string;
}

/** Reads that need no lock. On SQLite they see the last committed state. */
export interface StoreReader {
  getApp(id: string): Promise<AppRecord | null>;
  listApps(page: PageQuery): Promise<Page<AppRecord>>;
  getConnector(appId: string, id: string): Promise<ConnectorRecord | null>;
  /** A live connector by id alone, whatever its app. */
  findConnector(id: string): Promise<ConnectorRecord | null>;
  listConnectors(appId: string, page: PageQuery): Promise<Page<ConnectorRecord>>;
  /** Every live connector across apps, by id. */
  listAllConnectors(page: PageQuery): Promise<Page<ConnectorRecord>>;
  listHolds(connectorId: string): Promise<Hold[]>;
  /** Holds of many connectors at once, for list pages. */
  listHoldsFor(connectorIds: readonly string[]): Promise<Map<string, Hold[]>>;
  /** The database's side of /metrics, read with a few index-driven aggregates. */
  metricsSnapshot(now: number): Promise<MetricsSnapshot>;
  /** PAUSED holds whose `until` has come (at or before `now`), earliest first. */
  timedPausesDue(now: number, limit: number): Promise<TimedPause[]>;
  getSchedule(connectorId: string): Promise<ScheduleRecord | null>;
  getSchedulesFor(connectorIds: readonly string[]): Promise<Map<string, ScheduleRecord>>;
  /** The earliest next fire of any schedule, or null when none will fire. */
  nextScheduledFire(): Promise<number | null>;
  getSync(connectorId: string, id: string): Promise<SyncRecord | null>;
  /** The connector's syncs, newest queued first, filtered by state, trigger and queue time. */
  listSyncs(connectorId: string, query: SyncListQuery): Promise<Page<SyncRecord>>;
  /** Every state the sync went through, oldest first (recorded by each transition). */
  listSyncEvents(syncId: string): Promise<SyncEvent[]>;
  /** Each connector's newest sync (by queue time, as listSyncs' first), for those that have one. */
  latestSyncsFor(connectorIds: readonly string[]): Promise<Map<string, SyncRecord>>;
  getCredentialByClientId(clientId: string): Promise<CredentialRecord | null>;
  getCredential(id: string): Promise<CredentialRecord | null>;
  listCredentials(): Promise<CredentialRecord[]>;
  /** The credential behind a live access token (not expired, credential not revoked). */
  findAccessToken(tokenHash: string, now: number): Promise<CredentialRecord | null>;
  listAuditEvents(query: AuditQuery): Promise<Page<AuditEvent>>;
  /** A server-wide setting (e.g. the public host the server last started with). */
  getSetting(key: string): Promise<string | null>;
  /** How many inventory rows are stored under a sync. */
  inventoryRowCounts(syncId: string): Promise<InventoryRowCounts>;
  /** A stored sync's resource types, by id. */
  listInventoryResourceTypes(syncId: string): Promise<ResourceTypeRecord[]>;
  /** A stored sync's resources, by type then id. */
  listInventoryResources(
    syncId: string,
    filter: ResourceFilter,
    page: PageQuery,
  ): Promise<Page<ResourceRecord>>;
  /** A stored sync's entitlements, by id (by resource then id when filtered by resource). */
  listInventoryEntitlements(
    syncId: string,
    filter: EntitlementFilter,
    page: PageQuery,
  ): Promise<Page<EntitlementRecord>>;
  /** A stored sync's grants, by id. */
  listInventoryGrants(
    syncId: string,
    filter: GrantFilter,
    page: PageQuery,
  ): Promise<Page<GrantRecord>>;
  /**
   * Syncs whose stored inventory nobody needs any more: not running, and neither applied nor
   * held in ERRORED_NO_DATA by a live connector (a deleted connector needs none of its rows).
   */
  unneededInventorySyncs(limit: number): Promise<string[]>;
  /** One row of a stored sync's inventory, by id (null when the sync has none). */
  getInventoryEntitlement(syncId: string, id: string): Promise<EntitlementRecord | null>;
  getInventoryResource(syncId: string, ref: ResourceRef): Promise<ResourceRecord | null>;
  getInventoryGrant(syncId: string, id: string): Promise<GrantRecord | null>;
  /** A data-drop diff's header (domain/diff.ts): null when none was started; totals null while it is worked out. */
  getInventoryDiff(
    syncId: string,
    baseSyncId: string | null,
  ): Promise<{ readonly totals: DiffTotals | null } | null>;
  /** A live webhook subscription (domain/webhooks.ts). */
  getWebhook(id: string): Promise<WebhookRecord | null>;
  /** Live webhook subscriptions, by id. */
  listWebhooks(page: PageQuery): Promise<Page<WebhookRecord>>;
  /** A subscription's deliveries, newest first, optionally in some states only. */
  listDeliveries(
    webhookId: string,
    states: readonly DeliveryState[],
    page: PageQuery,
  ): Promise<Page<DeliveryRecord>>;
  /** When the earliest pending webhook delivery is due (null: none pending). */
  nextDeliveryAt(): Promise<number | null>;
  /** Service-mode connectors silent for longer than 3 polls and `graceMs`, not yet reported. */
  silentConnectors(now: number, graceMs: number, limit: number): Promise<SilentConnector[]>;
  /** One page of one lane of a worked-out diff, by resource type then id. */
  listInventoryDiff(
    syncId: string,
    baseSyncId: string | null,
    lane: DiffLane,
    resourceTypeId: string | undefined,
    page: PageQuery,
  ): Promise<Page<DiffItem>>;

  getProvisioningTask(connectorId: string, id: string): Promise<ProvisioningTaskRecord | null>;
  /** A connector's tasks in queue (creation) order, optionally only those in some states. */
  listProvisioningTasks(
    connectorId: string,
    states: readonly TaskState[],
    page: PageQuery,
  ): Promise<Page<ProvisioningTaskRecord>>;
  /** Queued, held and running task counts of many connectors at once (absent: none). */
  provisioningCounts(connectorIds: readonly string[]): Promise<Map<string, TaskCounts>>;
  /**
   * The connector's runnable sync (same rules as runnableSyncs), for its own runner. A read: a
   * connector process polling an empty queue costs no write transaction.
   */
  nextRunnableSync(connectorId: string, now: number): Promise<SyncRecord | null>;
  /** The connector's oldest QUEUED task when it runs none, for its own runner (a read). */
  nextRunnableTask(connectorId: string): Promise<ProvisioningTaskRecord | null>;
  /** RUNNING syncs whose lease ran out before `now` (a read: recovery looks before it takes the writer). */
  expiredLeases(now: number, limit: number): Promise<SyncRecord[]>;
  /** RUNNING tasks whose lease ran out before `now`. */
  expiredTaskLeases(now: number, limit: number): Promise<ProvisioningTaskRecord[]>;
  /** Service-mode presence of many connectors at once (absent: never called in). */
  getPresence(connectorIds: readonly string[]): Promise<Map<string, PresenceRecord>>;
}

/** Everything a command may do inside its transaction. */
export interface StoreTx extends StoreReader {
  insertApp(app: AppRecord): Promise<void>;
  /** Reads the app and locks it against concurrent commands until the transaction ends. */
  lockApp(id: string): Promise<AppRecord | null>;
  updateApp(id: string, patch: AppPatch, now: number): Promise<void>;
  deleteApp(id: string, now: number): Promise<void>;
  countConnectors(appId: string): Promise<number>;

  insertConnector(connector: ConnectorRecord): Promise<void>;
  /** Reads the connector and locks it against concurrent commands until the transaction ends. */
  lockConnector(appId: string, id: string): Promise<ConnectorRecord | null>;
  updateConnector(id: string, patch: ConnectorPatch, now: number): Promise<void>;
  deleteConnector(id: string, now: number): Promise<void>;
  setConnectorSyncStatus(id: string, status: ConnectorSyncStatus): Promise<void>;

  insertHold(connectorId: string, hold: Hold): Promise<boolean>;
  /** Replaces who set the hold, its note and its `until`; false when there is no such hold. */
  updateHold(
    connectorId: string,
    kind: HoldKind,
    patch: Pick<Hold, "actor" | "note" | "until">,
  ): Promise<boolean>;
  deleteHold(connectorId: string, kind: HoldKind): Promise<boolean>;

  upsertSchedule(schedule: ScheduleRecord): Promise<void>;
  deleteSchedule(connectorId: string): Promise<boolean>;
  /**
   * The schedules due at `now` (next fire at or before it), earliest first, locked for this
   * transaction: concurrent schedulers never get the same row (SKIP LOCKED on PostgreSQL;
   * SQLite serialises writers).
   */
  claimDueSchedules(now: number, limit: number): Promise<ScheduleRecord[]>;
  /** Moves a schedule's next fire; with `expectedMs`, also the duration a freshness plan assumed. */
  setNextFire(
    connectorId: string,
    nextFireAt: number | null,
    now: number,
    expectedMs?: number,
  ): Promise<void>;
  /**
   * Fires claimed schedules as a set: each schedule moves to its next fire, and for each
   * connector that may get one (live, runnable, no hold that blocks schedules, no sync queued)
   * a SCHEDULE sync is queued under the id given with it. Returns the queued sync ids.
   */
  fireSchedules(
    fires: readonly ScheduleFire[],
    requestedBy: string,
    now: number,
  ): Promise<string[]>;

  /** Counts of the connector's QUEUED and RUNNING syncs. */
  queueSnapshot(connectorId: string): Promise<{ queued: number; running: number }>;
  insertSync(sync: NewSync): Promise<void>;
  /** Cancels every QUEUED sync of the connector; returns their ids. */
  cancelQueuedSyncs(connectorId: string, reason: string, now: number): Promise<string[]>;
  /** The connector's most recently finished sync (one that ran to an end). */
  latestFinishedSync(connectorId: string): Promise<SyncRecord | null>;
  /**
   * RUNNING → a finished state (or CANCELED) with its outcome; false when the sync was no longer
   * RUNNING. Every state change in the store is guarded by the domain's state machines
   * (store/transitions.ts): an edge the domain lacks throws before any SQL runs.
   */
  finishSync(id: string, finish: SyncFinish): Promise<boolean>;
  /** Moves a sync that is in one of `from` to `state`; false when it was in none of them. */
  setSyncState(
    id: string,
    from: readonly SyncState[],
    state: SyncState,
    now: number,
  ): Promise<boolean>;

  /**
   * QUEUED syncs whose time has come (run_after ≤ now) and whose connector runs no sync and has no
   * provisioning task queued or running (domain/provisioning.ts: tasks go first), oldest first.
   * Holds are not applied here: the caller decides with domain/holds.ts.
   */
  runnableSyncs(
    now: number,
    limit: number,
    exceptCatalogs?: readonly string[],
  ): Promise<SyncRecord[]>;

  /**
   * Claims the oldest runnable sync in one statement: QUEUED → RUNNING under `owner`'s lease
   * (the attempt counted, the event recorded), for a live connector that has what it needs to
   * run, runs no sync, has no provisioning task queued or running, and no hold that keeps back a
   * sync of that trigger (domain/holds.ts claimBlocked, compiled into the statement by
   * transitions.ts). With `connectorId` only that connector's sync; otherwise none of
   * `exceptCatalogs`. Concurrent claimers never get the same sync. The connector's sync status
   * becomes RUNNING (started now) in the same statement; it is returned as it is after.
   */
  claimSync(claim: SyncClaim): Promise<ClaimedSyncRow | null>;
  /** QUEUED → RUNNING under a lease for `worker`; false when the sync is no longer QUEUED. */
  startSync(id: string, worker: string, now: number, leaseUntil: number): Promise<boolean>;
  /**
   * Extends the lease, recording `progress` when given; false when `worker` no longer holds it
   * for `attempt` (taken back).
   */
  renewLease(
    id: string,
    worker: string,
    attempt: number,
    leaseUntil: number,
    now: number,
    progress?: SyncProgress,
  ): Promise<boolean>;
  /** RUNNING → QUEUED, to start again at `runAfter` (a retry); `error` says why. */
  requeueSync(id: string, runAfter: number, error: string, now: number): Promise<boolean>;

  insertInventory(syncId: string, batch: InventoryBatch): Promise<void>;
  /** Deletes up to `limit` inventory rows of a sync; returns how many went. */
  deleteInventory(syncId: string, limit: number): Promise<number>;
  insertWebhook(webhook: WebhookRecord): Promise<void>;
  /** Deletes a subscription; its pending deliveries fail. False when there was none. */
  deleteWebhook(id: string, now: number): Promise<boolean>;
  /**
   * The outbox: one PENDING delivery of the event per live subscription that wants it, written
   * in this transaction. Returns how many.
   */
  emitWebhookEvent(event: WebhookEvent, now: number): Promise<number>;
  /** One delivery of `event` to one subscription (a test ping); returns its id. */
  queueDelivery(webhookId: string, event: WebhookEvent, now: number): Promise<string>;
  /** Claims due deliveries until `leaseUntil`; each claim counts an attempt. */
  claimDeliveries(
    worker: string,
    now: number,
    leaseUntil: number,
    limit: number,
  ): Promise<ClaimedDelivery[]>;
  /** Records an attempt's outcome while the lease (worker, attempt) is still this one. */
  finishDelivery(
    id: string,
    worker: string,
    attempts: number,
    outcome: DeliveryOutcome,
  ): Promise<boolean>;
  /** Marks a silent connector reported (until it calls in again); false if another did. */
  markStoppedPolling(connectorId: string, lastSeenAt: number, now: number): Promise<boolean>;
  /** Starts a diff of `syncId` against `baseSyncId` (null: nothing) unless one exists. */
  startInventoryDiff(syncId: string, baseSyncId: string | null, now: number): Promise<void>;
  /**
   * Works out the next slice (`limit` rows of one side) of one lane of a started diff; returns
   * the key to go on from, null when the lane is done, "gone" when the diff was deleted.
   */
  diffInventorySlice(
    syncId: string,
    baseSyncId: string | null,
    lane: DiffLane,
    after: string | null,
    limit: number,
  ): Promise<string | null | "gone">;
  /** Counts a worked-out diff into its totals; null when it was deleted meanwhile. */
  finishInventoryDiff(syncId: string, baseSyncId: string | null): Promise<DiffTotals | null>;
  /** Deletes up to `limit` rows of the diffs a sync takes part in; returns how many went. */
  deleteInventoryDiffs(syncId: string, limit: number): Promise<number>;
  /** Makes the sync's rows the connector's current inventory (one statement: the switch). */
  setAppliedSync(connectorId: string, syncId: string, now: number): Promise<void>;
  /** ERRORED_NO_DATA syncs of the connector become SUPERSEDED (a later sync was applied). */
  supersedeHeldSyncs(connectorId: string, now: number): Promise<string[]>;

  /**
   * Adds the task unless an open (QUEUED or HELD) task of the connector has the same request
   * key; returns that task instead when one does (ON CONFLICT DO NOTHING, never an error).
   */
  insertProvisioningTask(task: NewProvisioningTask): Promise<ProvisioningTaskRecord>;
  /** QUEUED → HELD for every queued task of the connector (a pause); returns their ids. */
  holdQueuedTasks(connectorId: string, now: number): Promise<string[]>;
  /** HELD → QUEUED for every held task, keeping their creation order; returns their ids. */
  releaseHeldTasks(connectorId: string, now: number): Promise<string[]>;
  /** QUEUED or HELD → CANCELED; false when the task is in any other state. */
  cancelProvisioningTask(id: string, reason: string, now: number): Promise<boolean>;
  /** Cancels every open task of the connector (it is being deleted); returns their ids. */
  cancelOpenTasks(connectorId: string, reason: string, now: number): Promise<string[]>;
  /**
   * The oldest QUEUED task of each connector that runs no task, oldest first. Holds are not
   * applied here (a held task is HELD, not QUEUED); the caller checks them again.
   */
  runnableTasks(
    limit: number,
    exceptCatalogs?: readonly string[],
  ): Promise<ProvisioningTaskRecord[]>;

  /**
   * Claims the oldest runnable task in one statement (same rules as runnableTasks, plus: no hold
   * that keeps provisioning back, a live connector): QUEUED → RUNNING under `owner`'s lease.
   */
  claimTask(claim: TaskClaim): Promise<ClaimedTaskRow | null>;
  /** QUEUED → RUNNING under a lease for `worker`; false when the task is no longer QUEUED. */
  startProvisioningTask(
    id: string,
    worker: string,
    now: number,
    leaseUntil: number,
  ): Promise<boolean>;
  /** Extends the lease; false when `worker` no longer holds it. */
  renewTaskLease(id: string, worker: string, leaseUntil: number, now: number): Promise<boolean>;
  /**
   * RUNNING → SUCCEEDED or FAILED. With `worker`, only while that worker holds the task; false
   * when the task was no longer running (for it).
   */
  finishProvisioningTask(id: string, finish: TaskFinish, worker?: string): Promise<boolean>;

  /** A Hello: who the process is; it also counts as calling in. */
  recordHello(presence: PresenceRecord): Promise<void>;
  /** A call of any other kind from the connector's process. */
  touchPresence(connectorId: string, hostId: string, now: number, pollMs: number): Promise<void>;

  insertCredential(credential: CredentialRecord): Promise<void>;
  revokeCredential(id: string, now: number): Promise<boolean>;
  touchCredential(id: string, now: number): Promise<void>;
  insertAccessToken(token: AccessTokenRecord): Promise<void>;
  deleteExpiredAccessTokens(now: number): Promise<number>;

  insertAuditEvent(event: AuditEvent): Promise<void>;

  putSetting(key: string, value: string, now: number): Promise<void>;
  /**
   * Sets a setting only if it has none yet; false when it had one (another node got there
   * first: on PostgreSQL the loser waits for the winner's commit, then gets false).
   */
  claimSetting(key: string, value: string, now: number): Promise<boolean>;
}

/**
 * What a backend guarantees, so that callers pick a strategy by capability rather than by
 * backend name.
 */
export interface StoreCapabilities {
  /** One write transaction at a time (SQLite): lockApp/lockConnector need no row locks. */
  readonly singleWriter: boolean;
  /** Claims skip rows that other transactions hold (FOR UPDATE SKIP LOCKED). */
  readonly skipLocked: boolean;
  /** Commits can wake other processes at once (LISTEN/NOTIFY); without it, they poll. */
  readonly notify: boolean;
}

export interface Store extends StoreReader {
  readonly backend: "sqlite" | "postgres";
  readonly capabilities: StoreCapabilities;
  /**
   * Stages a sync's grants and their lookup by principal straight from a SQLite database (a
   * decompressed c1z), in slices of their own transactions; returns how many grants. Only a
   * store that can read such a file in place has it (SQLite: set-based copies on worker
   * threads); others take the grants in batches through insertInventory.
   */
  stageGrantsFromFile?(syncId: string, source: GrantSource): Promise<number>;
  /**
   * Calls `listener` after a commit that made a sync or a task claimable (store/work.ts): one
   * made on this node, and with capabilities.notify one made on any node. A hint, not a queue:
   * claimers still poll, and may be woken for nothing. Returns the way to stop listening.
   */
  onWork(listener: () => void): () => void;
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  /**
   * StoreTx claimSync as a transaction of its own. On PostgreSQL it is one statement sent
   * without BEGIN/COMMIT (atomic by itself; a claimer's hot path is then one round trip). A
   * connection lost while the claim ran is reported UNAVAILABLE, not retried: a claim that took
   * effect unseen leaves a lease nobody renews, which runs out (queue.ts recoverLostLeases).
   */
  claimSync(claim: SyncClaim): Promise<ClaimedSyncRow | null>;
  /** StoreTx claimTask as a transaction of its own (as claimSync above). */
  claimTask(claim: TaskClaim): Promise<ClaimedTaskRow | null>;
  close(): Promise<void>;
}
