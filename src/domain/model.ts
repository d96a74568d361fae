// The records syncplane keeps, as the domain sees them. Times are epoch milliseconds; the wire
// layer turns them into RFC 3339 strings. Both store backends read and write exactly these shapes.

import type { CountDrop, DataDropPolicy } from "./data-drop.js";
import type { Hold } from "./holds.js";
import type { SyncProgress } from "./progress.js";
import type { SyncState, SyncTrigger } from "./syncs.js";

export interface AppRecord {
  readonly id: string;
  readonly displayName: string;
  readonly description: string;
  /** C1 app fields syncplane stores and returns but does not act on (see docs/api.md). */
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export const SYNC_STATUSES = [
  "SYNC_STATUS_UNSPECIFIED",
  "SYNC_STATUS_RUNNING",
  "SYNC_STATUS_DONE",
  "SYNC_STATUS_ERROR",
  "SYNC_STATUS_DISABLED",
] as const;
export type SyncStatus = (typeof SYNC_STATUSES)[number];

/** What the sync engine last recorded about a connector's syncs. */
export interface ConnectorSyncStatus {
  readonly status: SyncStatus;
  readonly startedAt: number | null;
  readonly completedAt: number | null;
  readonly updatedAt: number | null;
  readonly lastError: string;
}

/** The status of a connector that has never synced. */
export const NEVER_SYNCED: ConnectorSyncStatus = {
  status: "SYNC_STATUS_UNSPECIFIED",
  startedAt: null,
  completedAt: null,
  updatedAt: null,
  lastError: "",
};

export interface ConnectorConfig {
  readonly "@type": string;
  readonly [key: string]: unknown;
}

export interface ConnectorRecord {
  readonly id: string;
  readonly appId: string;
  readonly displayName: string;
  readonly description: string;
  readonly catalogId: string;
  readonly config: ConnectorConfig | null;
  readonly configUpdatedAt: number | null;
  readonly disableCheckBadSync: boolean;
  readonly syncResourceTypeIds: readonly string[];
  readonly userIds: readonly string[];
  readonly syncStatus: ConnectorSyncStatus;
  /** The sync whose data is the connector's current inventory (null before the first). */
  readonly appliedSyncId: string | null;
  /** The sync the applied one replaced; its rows are kept too, for the diff (domain/diff.ts). */
  readonly previousAppliedSyncId: string | null;
  /** The data-drop guard's limits for this connector; null: the defaults. */
  readonly dataDropPolicy: DataDropPolicy | null;
  /** Labels people chose (domain/labels.ts); bulk operations select by them. */
  readonly labels: Readonly<Record<string, string>>;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly deletedAt: number | null;
}

export interface ScheduleRecord {
  readonly connectorId: string;
  readonly cronSpec: string;
  readonly timezone: string;
  /** When this schedule took effect; fires are computed from here on. */
  readonly startAt: number;
  readonly nextFireAt: number | null;
  readonly updatedAt: number;
  /** A freshness target (domain/freshness.ts) instead of the cron (cronSpec is then ""). */
  readonly maxAgeMs?: number | null;
  /** The sync duration the freshness plan last assumed. */
  readonly expectedMs?: number | null;
}

export interface SyncCounts {
  /** Resources per resource type id. */
  readonly resources: Readonly<Record<string, number>>;
  readonly entitlements: number;
  readonly grants: number;
  /** Entitlements per resource type of the entitled resource, when known. */
  readonly entitlementsByResourceType?: Readonly<Record<string, number>>;
  /** Grants per resource type of the entitlement's resource, when known. */
  readonly grantsByResourceType?: Readonly<Record<string, number>>;
}

export interface SyncRecord {
  readonly id: string;
  readonly connectorId: string;
  readonly appId: string;
  readonly trigger: SyncTrigger;
  readonly state: SyncState;
  readonly attempt: number;
  readonly queuedAt: number;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  readonly counts: SyncCounts | null;
  readonly baselineCounts: SyncCounts | null;
  readonly error: string;
  readonly requestedBy: string;
  /** A queued sync does not start before this (retry backoff). */
  readonly runAfter: number;
  /** The worker running the sync, and until when its lease holds. */
  readonly leaseOwner: string | null;
  readonly leaseExpiresAt: number | null;
  /** Resource types the sync's connector marked exempt from the data-drop guard. */
  readonly exemptResourceTypeIds: readonly string[];
  /** What the worker running it last reported (domain/progress.ts); null before any report. */
  readonly progress: SyncProgress | null;
  /** A held sync: every count that fell, with the rule and limits that fired (worst first). */
  readonly dataDrops: readonly CountDrop[];
}

export interface ConnectorAggregate {
  readonly connector: ConnectorRecord;
  readonly holds: readonly Hold[];
  readonly schedule: ScheduleRecord | null;
  /** Open provisioning tasks (absent or zero: none). */
  readonly tasks?: { readonly queued: number; readonly held: number; readonly running: number };
  /** A service-mode connector's process, when one ever called in. */
  readonly presence?: PresenceRecord;
}

export const ROLES = ["admin", "operator", "viewer", "connector"] as const;
export type Role = (typeof ROLES)[number];
export const isRole = (value: string): value is Role =>
  (ROLES as readonly string[]).includes(value);

/** One state a sync lifecycle went through. */
export interface SyncEvent {
  readonly at: number;
  readonly state: SyncState;
  readonly attempt: number;
  readonly error: string;
}

export interface CredentialRecord {
  readonly id: string;
  readonly clientId: string;
  readonly name: string;
  readonly role: Role;
  readonly connectorId: string | null;
  /** The public half of the client secret's Ed25519 key, as a JWK (kty OKP, crv Ed25519, x). */
  readonly publicJwk: { readonly kty: "OKP"; readonly crv: "Ed25519"; readonly x: string };
  /** SHA-256 (hex) of the whole client secret string. The secret itself is never stored. */
  readonly secretHash: string;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly revokedAt: number | null;
  readonly lastUsedAt: number | null;
}

export interface AuditEvent {
  readonly id: string;
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  readonly objectType: string;
  readonly objectId: string;
  readonly requestId: string;
  readonly details: Readonly<Record<string, unknown>>;
}

/** What a service-mode connector process said about itself, and when it last called in. */
export interface PresenceRecord {
  readonly connectorId: string;
  /** BATON_HOST_ID, or the host name, of the process. */
  readonly hostId: string;
  /** "<package> <version> (<language version>)" from its Hello. */
  readonly sdk: string;
  /** Connector-level capabilities from its Hello (CAPABILITY_PROVISION, CAPABILITY_SYNC, …). */
  readonly capabilities: readonly string[];
  readonly helloAt: number | null;
  readonly lastSeenAt: number;
  /** The poll interval the server gave it (GetTask's next_poll). */
  readonly pollMs: number;
}

/** A process that has not called in for this long after its poll interval is "not connected". */
export const PRESENCE_GRACE_MS = 30_000;

export const isConnected = (presence: PresenceRecord, now: number): boolean =>
  now - presence.lastSeenAt <= 3 * presence.pollMs + PRESENCE_GRACE_MS;
