// Writes baton v1 `.c1z` files for tests and benchmarks: `C1ZF\0` + one zstd frame holding a
// SQLite database in the baton-sdk layout (docs: /work/shared/reference/baton.md §1.4–1.7).
//
// This writer is deliberately independent of the product's reader (src/connectors/baton/): it
// imports nothing from src/, encodes the protobuf blobs by hand with BinaryWriter, and compresses
// with the zstd CLI, so a bug in the reader is not mirrored here.
//
// - `writeC1z(path, fixture, options)` writes a small file from an in-memory fixture;
// - `C1zBuilder` streams rows into the temporary database (bounded memory, for big files);
// - `readC1zDatabase(path)` decompresses a c1z to a temporary SQLite file for independent checks.

import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import Database from "better-sqlite3";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";

// ---------------------------------------------------------------------------------------------
// Fixture types

/** c1.connector.v2.ResourceType.Trait, in enum order (USER = 1 … MANAGED_DEVICE = 12). */
export const RESOURCE_TRAITS = [
  "USER",
  "GROUP",
  "ROLE",
  "APP",
  "SECRET",
  "SECURITY_INSIGHT",
  "SCOPE_BINDING",
  "VENDOR",
  "VENDOR_AGREEMENT",
  "LICENSE_PROFILE",
  "AGENT",
  "MANAGED_DEVICE",
] as const;
export type ResourceTrait = (typeof RESOURCE_TRAITS)[number];

/** The enum number of a trait as it appears on the wire. */
export function traitNumber(trait: ResourceTrait): number {
  return RESOURCE_TRAITS.indexOf(trait) + 1;
}

/** c1.connector.v2.Entitlement.PurposeValue. */
export const ENTITLEMENT_PURPOSES = { ASSIGNMENT: 1, PERMISSION: 2, OWNERSHIP: 3 } as const;
export type EntitlementPurpose = keyof typeof ENTITLEMENT_PURPOSES;

export interface ResourceRef {
  resourceTypeId: string;
  resourceId: string;
}

export interface FixtureResourceType {
  id: string;
  displayName: string;
  traits?: readonly ResourceTrait[];
  /** Adds the `c1.connector.v2.SkipSyncAnomalyDetection` annotation. */
  skipAnomalyDetection?: boolean;
  description?: string;
}

export interface FixtureResource extends ResourceRef {
  displayName: string;
  parent?: ResourceRef;
  /** Written as a UserTrait annotation (first address primary, account_type HUMAN). */
  emails?: readonly string[];
  description?: string;
}

export interface FixtureEntitlement extends ResourceRef {
  slug: string;
  displayName: string;
  purpose?: EntitlementPurpose;
  description?: string;
  /** Defaults to `<resourceTypeId>:<resourceId>:<slug>`. */
  id?: string;
  /** Resource type ids, embedded as full ResourceType messages (Entitlement.grantable_to). */
  grantableTo?: readonly string[];
}

export interface FixtureGrantExpandable {
  entitlementIds: readonly string[];
  shallow?: boolean;
  resourceTypeIds?: readonly string[];
}

export interface FixtureGrant {
  entitlementId: string;
  principal: ResourceRef;
  /** Defaults to `<entitlementId>:<principalType>:<principalId>`. */
  id?: string;
  /**
   * The entitlement's resource, for grants whose entitlement is not in the same run (dangling
   * grants). Otherwise taken from the entitlement; as a last resort parsed from the id.
   */
  resource?: ResourceRef;
  /**
   * A GrantExpandable: current schema → `expansion` column + needs_expansion = 1 (as the SDK
   * splits it out); legacy schema → left as a Grant annotation.
   */
  expandable?: FixtureGrantExpandable;
}

export interface C1zFixture {
  resourceTypes: readonly FixtureResourceType[];
  resources: readonly FixtureResource[];
  entitlements: readonly FixtureEntitlement[];
  grants: readonly FixtureGrant[];
}

export type SyncType =
  "full" | "partial" | "resources_only" | "partial_upserts" | "partial_deletions";

/** A timestamp column value: a Date (formatted like the SDK, local time) or a raw string. */
export type BatonTimestamp = string | Date;

export interface C1zRunOptions {
  /** Defaults to a fresh KSUID (27 base62 characters). */
  syncId?: string;
  /** Ignored by the legacy schema (no sync_type column). Default "full". */
  syncType?: SyncType;
  parentSyncId?: string;
  startedAt?: BatonTimestamp;
}

export interface C1zEndRunOptions {
  /** Default true. false leaves ended_at NULL and a mid-sync checkpoint in sync_token. */
  finished?: boolean;
  endedAt?: BatonTimestamp;
}

export interface C1zExtraRun extends C1zRunOptions, C1zEndRunOptions {
  finished: boolean;
  fixture: C1zFixture;
}

export interface C1zBuilderOptions {
  /** "legacy" = SDK v0.2.51 tables (see LEGACY notes below). Default "current". */
  schema?: "current" | "legacy";
  /** Omit Grant.entitlement and Grant.principal from grant data (the SDK's V2 grants writer). */
  slimGrants?: boolean;
  /** Parent directory of the temporary build directory. Default os.tmpdir(). */
  tmpDir?: string;
  /** Rows per transaction. Default 10,000. */
  batchSize?: number;
  /** Add Resource.status (11) and Resource.created_at (12), which a reader must skip. Default true. */
  unknownFields?: boolean;
}

export interface C1zFileOptions {
  /** "C1Z3" writes a v3 (Pebble) envelope that a v1 reader must reject. Default "C1ZF". */
  magic?: "C1ZF" | "C1Z3";
  /**
   * true: compress the db file by name, so the zstd frame header records Frame_Content_Size.
   * false (default): compress from stdin, so the frame has no content size (baton streaming).
   */
  contentSize?: boolean;
  /**
   * Damage the written file: "truncate" keeps the magic and half the frame; "garbage" replaces
   * the frame by bytes that are not zstd; "checksum" flips a bit in the frame's XXH64 content
   * checksum only (data intact: only decoders that verify checksums notice).
   */
  corrupt?: "truncate" | "garbage" | "checksum";
  /** zstd level, default 1 (baton writes at klauspost SpeedFastest). */
  level?: number;
}

export interface C1zWriteOptions extends C1zBuilderOptions, C1zFileOptions {
  /** The main run's sync id (the main run is always a finished `full` sync). */
  syncId?: string;
  startedAt?: BatonTimestamp;
  endedAt?: BatonTimestamp;
  /**
   * More runs, written after the main one, each with its own sync id. A finished extra run
   * without endedAt ends (i+1) hours before the main run, so by default the main run stays the
   * latest finished full sync.
   */
  extraRuns?: readonly C1zExtraRun[];
}

export interface C1zCounts {
  resourceTypes: number;
  resources: number;
  entitlements: number;
  grants: number;
}

export interface C1zFinishResult {
  path: string;
  /** Every run's sync id, in the order the runs were written. */
  syncIds: string[];
  counts: C1zCounts;
  /** Size of the SQLite database before compression. */
  dbBytes: number;
  /** Size of the written file. */
  c1zBytes: number;
  timings: { indexMs: number; compressMs: number };
}

export interface C1zWriteResult extends C1zFinishResult {
  /** The main (finished, full) run's sync id. */
  syncId: string;
}

// ---------------------------------------------------------------------------------------------
// Small helpers: timestamps and ids

/** Formats like Go's `time.Format("2006-01-02 15:04:05.999999999")` in local time. */
export function batonTime(at: Date, extraNanos = 0): string {
  const p = (n: number, width = 2): string => String(n).padStart(width, "0");
  const base =
    `${p(at.getFullYear(), 4)}-${p(at.getMonth() + 1)}-${p(at.getDate())} ` +
    `${p(at.getHours())}:${p(at.getMinutes())}:${p(at.getSeconds())}`;
  const nanos = at.getMilliseconds() * 1_000_000 + extraNanos;
  if (nanos === 0) return base;
  return `${base}.${String(nanos).padStart(9, "0").replace(/0+$/, "")}`;
}

function timestampValue(value: BatonTimestamp): string {
  return typeof value === "string" ? value : batonTime(value);
}

/** Best effort: the Date a timestamp value stands for (local time for SDK-formatted strings). */
function timestampDate(value: BatonTimestamp): Date {
  if (typeof value !== "string") return value;
  const parsed = new Date(value.replace(" ", "T").replace(/(\.\d{3})\d+/, "$1"));
  return Number.isNaN(parsed.getTime()) ? new Date() : parsed;
}

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const KSUID_EPOCH_SECONDS = 1_400_000_000;

/** A KSUID: 4-byte timestamp (seconds since 2014-05-13) + 16 random bytes, 27 base62 chars. */
export function ksuid(at: Date = new Date()): string {
  const raw = Buffer.alloc(20);
  const seconds = Math.floor(at.getTime() / 1000) - KSUID_EPOCH_SECONDS;
  raw.writeUInt32BE(Math.min(0xffffffff, Math.max(0, seconds)), 0);
  randomBytes(16).copy(raw, 4);
  let n = BigInt(`0x${raw.toString("hex")}`);
  let out = "";
  while (n > 0n) {
    out = BASE62.charAt(Number(n % 62n)) + out;
    n /= 62n;
  }
  return out.padStart(27, "0");
}

export function entitlementIdOf(e: FixtureEntitlement): string {
  return e.id ?? `${e.resourceTypeId}:${e.resourceId}:${e.slug}`;
}

export function grantIdOf(g: FixtureGrant): string {
  return g.id ?? `${g.entitlementId}:${g.principal.resourceTypeId}:${g.principal.resourceId}`;
}

// ---------------------------------------------------------------------------------------------
// Protobuf encoding (c1.connector.v2, field numbers from baton.md §1.7), by hand

const LEN = WireType.LengthDelimited;
const VARINT = WireType.Varint;
const TYPE_URL_PREFIX = "type.googleapis.com/";

function writeResourceId(w: BinaryWriter, field: number, ref: ResourceRef): void {
  w.tag(field, LEN).fork();
  w.tag(1, LEN).string(ref.resourceTypeId);
  w.tag(2, LEN).string(ref.resourceId);
  w.join();
}

/** google.protobuf.Any {1 type_url, 2 value}; an empty value is omitted, as proto3 does. */
function writeAny(w: BinaryWriter, field: number, typeName: string, value?: Uint8Array): void {
  w.tag(field, LEN).fork();
  w.tag(1, LEN).string(TYPE_URL_PREFIX + typeName);
  if (value && value.length > 0) w.tag(2, LEN).bytes(value);
  w.join();
}

export function encodeResourceType(rt: FixtureResourceType): Uint8Array {
  const w = new BinaryWriter();
  w.tag(1, LEN).string(rt.id);
  if (rt.displayName) w.tag(2, LEN).string(rt.displayName);
  const traits = rt.traits ?? [];
  if (traits.length > 0) {
    // proto3 repeated enum: packed, one length-delimited run of varints.
    w.tag(3, LEN).fork();
    for (const trait of traits) w.int32(traitNumber(trait));
    w.join();
  }
  if (rt.skipAnomalyDetection) writeAny(w, 4, "c1.connector.v2.SkipSyncAnomalyDetection");
  if (rt.description) w.tag(5, LEN).string(rt.description);
  return w.finish();
}

function encodeUserTrait(emails: readonly string[]): Uint8Array {
  const w = new BinaryWriter();
  emails.forEach((address, i) => {
    w.tag(1, LEN).fork();
    w.tag(1, LEN).string(address);
    if (i === 0) w.tag(2, VARINT).bool(true);
    w.join();
  });
  w.tag(5, VARINT).int32(1); // account_type HUMAN
  if (emails[0] !== undefined) w.tag(6, LEN).string(emails[0]); // login
  return w.finish();
}

// A fixed created_at keeps files reproducible: 2024-01-02T03:04:05Z.
const CREATED_AT_SECONDS = 1_704_164_645;

export function encodeResource(
  r: FixtureResource,
  typeTraits: readonly ResourceTrait[] = [],
  unknownFields = true,
): Uint8Array {
  const w = new BinaryWriter();
  writeResourceId(w, 1, r);
  if (r.parent) writeResourceId(w, 2, r.parent);
  if (r.displayName) w.tag(3, LEN).string(r.displayName);
  // Annotations: the trait messages the SDK's resource builders attach.
  if ((r.emails && r.emails.length > 0) || typeTraits.includes("USER")) {
    writeAny(w, 4, "c1.connector.v2.UserTrait", encodeUserTrait(r.emails ?? []));
  }
  if (typeTraits.includes("GROUP")) writeAny(w, 4, "c1.connector.v2.GroupTrait");
  if (typeTraits.includes("ROLE")) writeAny(w, 4, "c1.connector.v2.RoleTrait");
  if (typeTraits.includes("APP")) writeAny(w, 4, "c1.connector.v2.AppTrait");
  if (r.description) w.tag(5, LEN).string(r.description);
  if (unknownFields) {
    // Fields a minimal reader does not model: status {1 status = ENABLED}, created_at Timestamp.
    w.tag(11, LEN).fork().tag(1, VARINT).int32(1).join();
    w.tag(12, LEN).fork().tag(1, VARINT).int64(CREATED_AT_SECONDS).join();
  }
  return w.finish();
}

/** A Resource with only id and display_name (for entitlements whose resource is unknown). */
function encodeResourceStub(ref: ResourceRef, displayName?: string): Uint8Array {
  const w = new BinaryWriter();
  writeResourceId(w, 1, ref);
  if (displayName) w.tag(3, LEN).string(displayName);
  return w.finish();
}

export function encodeEntitlement(
  e: FixtureEntitlement,
  resourceBytes: Uint8Array,
  grantableToBytes: readonly Uint8Array[] = [],
): Uint8Array {
  const w = new BinaryWriter();
  w.tag(1, LEN).bytes(resourceBytes);
  w.tag(2, LEN).string(entitlementIdOf(e));
  if (e.displayName) w.tag(3, LEN).string(e.displayName);
  if (e.description) w.tag(4, LEN).string(e.description);
  for (const rt of grantableToBytes) w.tag(5, LEN).bytes(rt);
  w.tag(7, VARINT).int32(ENTITLEMENT_PURPOSES[e.purpose ?? "ASSIGNMENT"]);
  w.tag(8, LEN).string(e.slug);
  return w.finish();
}

export function encodeGrantExpandable(x: FixtureGrantExpandable): Uint8Array {
  const w = new BinaryWriter();
  for (const id of x.entitlementIds) w.tag(1, LEN).string(id);
  if (x.shallow) w.tag(2, VARINT).bool(true);
  for (const id of x.resourceTypeIds ?? []) w.tag(3, LEN).string(id);
  return w.finish();
}

/**
 * Grant {1 entitlement (full message), 2 principal (Resource with only an id), 3 id,
 * 4 annotations}. `entitlementBytes` null = slim grant (fields 1 and 2 left out).
 */
export function encodeGrant(
  g: FixtureGrant,
  entitlementBytes: Uint8Array | null,
  expandableAnnotation?: Uint8Array,
): Uint8Array {
  const w = new BinaryWriter();
  if (entitlementBytes) {
    w.tag(1, LEN).bytes(entitlementBytes);
    w.tag(2, LEN).fork();
    writeResourceId(w, 1, g.principal);
    w.join();
  }
  w.tag(3, LEN).string(grantIdOf(g));
  if (expandableAnnotation) writeAny(w, 4, "c1.connector.v2.GrantExpandable", expandableAnnotation);
  return w.finish();
}

// ---------------------------------------------------------------------------------------------
// Schema (baton-sdk pkg/dotc1z/*.go; table and index names exactly as the SDK creates them)

const TABLES_CURRENT = [
  `create table if not exists v1_resource_types (
    id integer primary key,
    external_id text not null,
    data blob not null,
    sync_id text not null,
    discovered_at datetime not null
  )`,
  `create table if not exists v1_resources (
    id integer primary key,
    resource_type_id text not null,
    external_id text not null,
    parent_resource_type_id text,
    parent_resource_id text,
    data blob not null,
    sync_id text not null,
    discovered_at datetime not null
  )`,
  `create table if not exists v1_entitlements (
    id integer primary key,
    resource_type_id text not null,
    resource_id text not null,
    external_id text not null,
    data blob not null,
    sync_id text not null,
    discovered_at datetime not null
  )`,
  `create table if not exists v1_sync_runs (
    id integer primary key,
    sync_id text not null,
    started_at datetime not null,
    ended_at datetime,
    sync_token text not null,
    sync_type text not null default 'full',
    parent_sync_id text not null default '',
    linked_sync_id text not null default '',
    supports_diff integer not null default 0,
    grants_backfilled integer not null default 0,
    stats text,
    ingest_invariant_generation text not null default '',
    ingest_invariant_coverage text not null default '',
    ingest_invariant_mode text not null default ''
  )`,
  `create table if not exists v1_grants (
    id integer primary key,
    resource_type_id text not null,
    resource_id text not null,
    entitlement_id text not null,
    principal_resource_type_id text not null,
    principal_resource_id text not null,
    external_id text not null,
    expansion blob,
    needs_expansion integer not null default 0,
    data blob not null,
    sync_id text not null,
    discovered_at datetime not null
  )`,
  `create table if not exists v1_assets (
    id integer primary key,
    external_id text not null,
    content_type text not null,
    data blob not null,
    sync_id text not null,
    discovered_at datetime not null
  )`,
  `create table if not exists v1_connector_sessions (
    id integer primary key,
    sync_id text NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL
  )`,
];

// The SDK passes the resources index names in a different order from its DDL, so the name
// idx_resources_external_sync_v1 ends up on the parent columns and the unique
// (external_id, sync_id) index is called idx_resources_parent_resource_id_v1. Kept as is.
const INDEXES_COMMON = [
  "create unique index if not exists idx_resource_types_external_sync_v1 on v1_resource_types (external_id, sync_id)",
  "create index if not exists idx_resources_resource_type_id_v1 on v1_resources (resource_type_id)",
  "create index if not exists idx_resources_external_sync_v1 on v1_resources (parent_resource_type_id, parent_resource_id)",
  "create unique index if not exists idx_resources_parent_resource_id_v1 on v1_resources (external_id, sync_id)",
  "create index if not exists idx_entitlements_resource_id_v1 on v1_entitlements (resource_type_id, resource_id)",
  "create unique index if not exists idx_entitlements_external_sync_v1 on v1_entitlements (external_id, sync_id)",
  "create unique index if not exists idx_sync_runs_sync_id_v1 on v1_sync_runs (sync_id)",
  "create unique index if not exists idx_assets_external_sync_v1 on v1_assets (external_id, sync_id)",
];

const GRANT_INDEXES_CURRENT = [
  "create index if not exists idx_grants_resource_type_id_resource_id_v1 on v1_grants (resource_type_id, resource_id)",
  "create index if not exists idx_grants_principal_id_v1 on v1_grants (principal_resource_type_id, principal_resource_id)",
  "create index if not exists idx_grants_entitlement_id_principal_id_v1 on v1_grants (entitlement_id, principal_resource_type_id, principal_resource_id)",
  "create unique index if not exists idx_grants_external_sync_v1 on v1_grants (external_id, sync_id)",
  "create index if not exists idx_grants_entitlement_sync_grant_v1 on v1_grants (entitlement_id, sync_id, id)",
  "create index if not exists idx_grants_sync_expansion_v1 on v1_grants (sync_id) where expansion is not null",
  "create index if not exists idx_grants_sync_needs_expansion_v1 on v1_grants (sync_id) where needs_expansion = 1",
];

// LEGACY (SDK v0.2.51): v1_sync_runs has only id, sync_id, started_at, ended_at, sync_token;
// v1_grants has no expansion / needs_expansion; there is no v1_connector_sessions table; and the
// grants (resource_type_id, resource_id) index was never created, because v0.2.51 gave it the
// name idx_resource_types_external_sync_v1, which the resource-types table already used.
const TABLES_LEGACY = [
  TABLES_CURRENT[0],
  TABLES_CURRENT[1],
  TABLES_CURRENT[2],
  `create table if not exists v1_grants (
    id integer primary key,
    resource_type_id text not null,
    resource_id text not null,
    entitlement_id text not null,
    principal_resource_type_id text not null,
    principal_resource_id text not null,
    external_id text not null,
    data blob not null,
    sync_id text not null,
    discovered_at datetime not null
  )`,
  `create table if not exists v1_sync_runs (
    id integer primary key,
    sync_id text not null,
    started_at datetime not null,
    ended_at datetime,
    sync_token text not null
  )`,
  TABLES_CURRENT[5],
] as string[];

const GRANT_INDEXES_LEGACY = [
  "create index if not exists idx_grants_principal_id_v1 on v1_grants (principal_resource_type_id, principal_resource_id)",
  "create index if not exists idx_grants_entitlement_id_principal_id_v1 on v1_grants (entitlement_id, principal_resource_type_id, principal_resource_id)",
  "create unique index if not exists idx_grants_external_sync_v1 on v1_grants (external_id, sync_id)",
];

// ---------------------------------------------------------------------------------------------
// The streaming builder

interface RunState {
  syncId: string;
  syncType: SyncType;
  discoveredAt: string;
  resourceTypes: Map<string, { traits: readonly ResourceTrait[]; bytes: Uint8Array }>;
  entitlements: Map<string, { resource: ResourceRef; bytes: Uint8Array }>;
  counts: C1zCounts;
  resourcesByType: Map<string, number>;
  entitlementsByType: Map<string, number>;
  grantsByType: Map<string, number>;
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function sortedObject(map: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of [...map.keys()].sort()) out[key] = map.get(key) ?? 0;
  return out;
}

function blob(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Builds a c1z row by row: rows go through prepared statements in transactions of `batchSize`
 * rows, nothing but the current run's resource types and entitlements is kept in memory, and
 * the grants indexes are built once at the end (same definitions as the SDK's).
 *
 * Order within a run: resource types, then resources, then entitlements, then grants (an
 * entitlement embeds its resource's stored message, a grant its entitlement's).
 */
export class C1zBuilder {
  readonly dbPath: string;
  private readonly dir: string;
  private readonly db: Database.Database;
  private readonly legacy: boolean;
  private readonly slimGrants: boolean;
  private readonly batchSize: number;
  private readonly unknownFields: boolean;
  private readonly stmt: {
    resourceType: Database.Statement;
    resource: Database.Statement;
    entitlement: Database.Statement;
    grant: Database.Statement;
    lookupResource: Database.Statement;
    insertRun: Database.Statement;
  };
  private run: RunState | null = null;
  private inTransaction = false;
  private pending = 0;
  private closed = false;
  private readonly syncIds: string[] = [];
  private readonly totals: C1zCounts = {
    resourceTypes: 0,
    resources: 0,
    entitlements: 0,
    grants: 0,
  };

  constructor(options: C1zBuilderOptions = {}) {
    this.legacy = options.schema === "legacy";
    this.slimGrants = options.slimGrants ?? false;
    this.batchSize = options.batchSize ?? 10_000;
    this.unknownFields = options.unknownFields ?? true;
    this.dir = mkdtempSync(join(options.tmpDir ?? tmpdir(), "c1z-build-"));
    this.dbPath = join(this.dir, "sync.db");
    try {
      this.db = new Database(this.dbPath);
    } catch (error) {
      rmSync(this.dir, { recursive: true, force: true });
      throw error;
    }
    try {
      // No journal while building (a crash just loses a temp file); TRUNCATE is set at the end.
      this.db.pragma("journal_mode = OFF");
      this.db.pragma("synchronous = OFF");
      for (const sql of this.legacy ? TABLES_LEGACY : TABLES_CURRENT) this.db.exec(sql);
      for (const sql of INDEXES_COMMON) this.db.exec(sql);
      if (!this.legacy) {
        this.db.exec(
          "create unique index if not exists idx_session_store_sync_key_v1 on v1_connector_sessions (sync_id, key)",
        );
      }
      this.stmt = {
        resourceType: this.db.prepare(
          "INSERT INTO v1_resource_types (external_id, data, sync_id, discovered_at) VALUES (?, ?, ?, ?)",
        ),
        resource: this.db.prepare(
          "INSERT INTO v1_resources (resource_type_id, external_id, parent_resource_type_id, " +
            "parent_resource_id, data, sync_id, discovered_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        ),
        entitlement: this.db.prepare(
          "INSERT INTO v1_entitlements (resource_type_id, resource_id, external_id, data, sync_id, " +
            "discovered_at) VALUES (?, ?, ?, ?, ?, ?)",
        ),
        grant: this.legacy
          ? this.db.prepare(
              "INSERT INTO v1_grants (resource_type_id, resource_id, entitlement_id, " +
                "principal_resource_type_id, principal_resource_id, external_id, data, sync_id, " +
                "discovered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
          : this.db.prepare(
              "INSERT INTO v1_grants (resource_type_id, resource_id, entitlement_id, " +
                "principal_resource_type_id, principal_resource_id, external_id, expansion, " +
                "needs_expansion, data, sync_id, discovered_at) " +
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ),
        lookupResource: this.db
          .prepare("SELECT data FROM v1_resources WHERE external_id = ? AND sync_id = ?")
          .pluck(),
        insertRun: this.legacy
          ? this.db.prepare(
              "INSERT INTO v1_sync_runs (sync_id, started_at, sync_token) VALUES (?, ?, '')",
            )
          : this.db.prepare(
              "INSERT INTO v1_sync_runs (sync_id, started_at, sync_token, sync_type, " +
                "parent_sync_id, supports_diff) VALUES (?, ?, '', ?, ?, 1)",
            ),
      };
    } catch (error) {
      this.abort();
      throw error;
    }
  }

  /** Starts a sync run (a v1_sync_runs row with ended_at NULL) and returns its sync id. */
  beginRun(options: C1zRunOptions = {}): string {
    this.assertOpen();
    if (this.run) throw new Error(`run ${this.run.syncId} is still open; call endRun() first`);
    const startedAt = options.startedAt ?? new Date();
    const syncId = options.syncId ?? ksuid(timestampDate(startedAt));
    const syncType = options.syncType ?? "full";
    const started = timestampValue(startedAt);
    if (this.legacy) this.stmt.insertRun.run(syncId, started);
    else this.stmt.insertRun.run(syncId, started, syncType, options.parentSyncId ?? "");
    this.syncIds.push(syncId);
    this.run = {
      syncId,
      syncType,
      discoveredAt: started,
      resourceTypes: new Map(),
      entitlements: new Map(),
      counts: { resourceTypes: 0, resources: 0, entitlements: 0, grants: 0 },
      resourcesByType: new Map(),
      entitlementsByType: new Map(),
      grantsByType: new Map(),
    };
    return syncId;
  }

  addResourceType(rt: FixtureResourceType): void {
    const run = this.openRun();
    const bytes = encodeResourceType(rt);
    this.write(() => this.stmt.resourceType.run(rt.id, blob(bytes), run.syncId, run.discoveredAt));
    run.resourceTypes.set(rt.id, { traits: rt.traits ?? [], bytes });
    run.counts.resourceTypes++;
    this.totals.resourceTypes++;
  }

  addResource(r: FixtureResource): void {
    const run = this.openRun();
    const traits = run.resourceTypes.get(r.resourceTypeId)?.traits ?? [];
    const bytes = encodeResource(r, traits, this.unknownFields);
    this.write(() =>
      this.stmt.resource.run(
        r.resourceTypeId,
        `${r.resourceTypeId}:${r.resourceId}`,
        r.parent?.resourceTypeId ?? null,
        r.parent?.resourceId ?? null,
        blob(bytes),
        run.syncId,
        run.discoveredAt,
      ),
    );
    run.counts.resources++;
    this.totals.resources++;
    if (run.resourceTypes.has(r.resourceTypeId)) bump(run.resourcesByType, r.resourceTypeId);
  }

  addEntitlement(e: FixtureEntitlement): void {
    const run = this.openRun();
    const id = entitlementIdOf(e);
    // Entitlement.resource: the resource's stored message when it is in this run (as the SDK's
    // entitlement builders embed the whole resource), else a stub with id and display name.
    const stored = this.stmt.lookupResource.get(`${e.resourceTypeId}:${e.resourceId}`, run.syncId);
    const resourceBytes =
      stored instanceof Uint8Array ? stored : encodeResourceStub(e, e.resourceId);
    const grantable = (e.grantableTo ?? []).map(
      (rtId) =>
        run.resourceTypes.get(rtId)?.bytes ?? encodeResourceType({ id: rtId, displayName: "" }),
    );
    const bytes = encodeEntitlement(e, resourceBytes, grantable);
    this.write(() =>
      this.stmt.entitlement.run(
        e.resourceTypeId,
        e.resourceId,
        id,
        blob(bytes),
        run.syncId,
        run.discoveredAt,
      ),
    );
    run.entitlements.set(id, {
      resource: { resourceTypeId: e.resourceTypeId, resourceId: e.resourceId },
      bytes,
    });
    run.counts.entitlements++;
    this.totals.entitlements++;
    bump(run.entitlementsByType, e.resourceTypeId);
  }

  addGrant(g: FixtureGrant): void {
    const run = this.openRun();
    const known = run.entitlements.get(g.entitlementId);
    const resource = g.resource ?? known?.resource ?? parseEntitlementResource(g.entitlementId);
    let entitlementBytes: Uint8Array | null = null;
    if (!this.slimGrants) {
      entitlementBytes =
        known?.bytes ??
        encodeEntitlement(
          {
            ...resource,
            id: g.entitlementId,
            slug: g.entitlementId.split(":").pop() ?? "",
            displayName: "",
          },
          encodeResourceStub(resource),
        );
    }
    const expansion = g.expandable ? encodeGrantExpandable(g.expandable) : undefined;
    // Current schema: the SDK moves GrantExpandable out of the annotations into `expansion`.
    const bytes = encodeGrant(g, entitlementBytes, this.legacy ? expansion : undefined);
    const id = grantIdOf(g);
    this.write(() => {
      if (this.legacy) {
        this.stmt.grant.run(
          resource.resourceTypeId,
          resource.resourceId,
          g.entitlementId,
          g.principal.resourceTypeId,
          g.principal.resourceId,
          id,
          blob(bytes),
          run.syncId,
          run.discoveredAt,
        );
      } else {
        this.stmt.grant.run(
          resource.resourceTypeId,
          resource.resourceId,
          g.entitlementId,
          g.principal.resourceTypeId,
          g.principal.resourceId,
          id,
          expansion ? blob(expansion) : null,
          expansion ? 1 : 0,
          blob(bytes),
          run.syncId,
          run.discoveredAt,
        );
      }
    });
    run.counts.grants++;
    this.totals.grants++;
    bump(run.grantsByType, resource.resourceTypeId);
  }

  /** Adds a whole fixture to the open run, in dependency order. */
  addFixture(fixture: C1zFixture): void {
    for (const rt of fixture.resourceTypes) this.addResourceType(rt);
    for (const r of fixture.resources) this.addResource(r);
    for (const e of fixture.entitlements) this.addEntitlement(e);
    for (const g of fixture.grants) this.addGrant(g);
  }

  /**
   * Ends the open run. Finished: ended_at, a final sync_token and (current schema) the cached
   * stats JSON, as the SDK's EndSync writes them. Unfinished: ended_at stays NULL and sync_token
   * holds a mid-sync checkpoint.
   */
  endRun(options: C1zEndRunOptions = {}): void {
    const run = this.openRun();
    this.commit();
    const finished = options.finished ?? true;
    const c = run.counts;
    if (finished) {
      const endedAt = timestampValue(options.endedAt ?? new Date());
      const token = JSON.stringify({ actions: [], completed_actions_count: c.resources + 4 });
      if (this.legacy) {
        this.db
          .prepare("UPDATE v1_sync_runs SET ended_at = ?, sync_token = ? WHERE sync_id = ?")
          .run(endedAt, token, run.syncId);
      } else {
        this.db
          .prepare(
            "UPDATE v1_sync_runs SET ended_at = ?, sync_token = ?, stats = ?, grants_backfilled = 1 " +
              "WHERE sync_id = ?",
          )
          .run(endedAt, token, JSON.stringify(statsOf(run)), run.syncId);
      }
    } else {
      const token = JSON.stringify({
        actions: [{ op: "list-grants", resource_type_id: "group", page_token: "" }],
        current_action: { operation: "list-grants" },
        completed_actions_count: c.resources,
      });
      this.db
        .prepare("UPDATE v1_sync_runs SET sync_token = ? WHERE sync_id = ?")
        .run(token, run.syncId);
    }
    this.run = null;
  }

  /**
   * Ends an open run (finished), builds the grants indexes, switches the journal to TRUNCATE,
   * closes the database, writes the c1z to `path` and removes the temporary directory.
   */
  async finish(path: string, options: C1zFileOptions = {}): Promise<C1zFinishResult> {
    this.assertOpen();
    try {
      if (this.run) this.endRun();
      this.commit();
      const indexStart = performance.now();
      for (const sql of this.legacy ? GRANT_INDEXES_LEGACY : GRANT_INDEXES_CURRENT) {
        this.db.exec(sql);
      }
      this.db.pragma("journal_mode = TRUNCATE");
      this.db.close();
      this.closed = true;
      const indexMs = performance.now() - indexStart;
      const dbBytes = statSync(this.dbPath).size;
      const compressStart = performance.now();
      await writeContainer(this.dbPath, path, options);
      const compressMs = performance.now() - compressStart;
      return {
        path,
        syncIds: [...this.syncIds],
        counts: { ...this.totals },
        dbBytes,
        c1zBytes: statSync(path).size,
        timings: { indexMs, compressMs },
      };
    } finally {
      this.abort();
    }
  }

  /** Closes the database and removes the temporary directory (safe to call more than once). */
  abort(): void {
    if (!this.closed) {
      this.closed = true;
      try {
        this.db.close();
      } catch {
        // already closed or never opened
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private openRun(): RunState {
    this.assertOpen();
    if (!this.run) throw new Error("no open run; call beginRun() first");
    return this.run;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error("C1zBuilder is closed");
  }

  private write(insert: () => void): void {
    if (!this.inTransaction) {
      this.db.exec("BEGIN");
      this.inTransaction = true;
    }
    insert();
    this.pending++;
    if (this.pending >= this.batchSize) this.commit();
  }

  private commit(): void {
    if (this.inTransaction) {
      this.db.exec("COMMIT");
      this.inTransaction = false;
    }
    this.pending = 0;
  }
}

function parseEntitlementResource(entitlementId: string): ResourceRef {
  const first = entitlementId.indexOf(":");
  const last = entitlementId.lastIndexOf(":");
  if (first < 0 || last <= first) return { resourceTypeId: entitlementId, resourceId: "" };
  return {
    resourceTypeId: entitlementId.slice(0, first),
    resourceId: entitlementId.slice(first + 1, last),
  };
}

/** c1.reader.v2.SyncStats as Go's encoding/json writes it (snake_case, zeros omitted). */
function statsOf(run: RunState): Record<string, unknown> {
  const c = run.counts;
  const stats: Record<string, unknown> = {};
  const resourcesByType = new Map<string, number>();
  for (const id of run.resourceTypes.keys()) resourcesByType.set(id, 0);
  let resources = 0;
  for (const [id, n] of run.resourcesByType) {
    resourcesByType.set(id, n);
    resources += n;
  }
  const withGrants = run.syncType !== "resources_only";
  if (c.resourceTypes) stats.resource_types = c.resourceTypes;
  if (resources) stats.resources = resources;
  if (withGrants && c.entitlements) stats.entitlements = c.entitlements;
  if (withGrants && c.grants) stats.grants = c.grants;
  if (resourcesByType.size) stats.resources_by_resource_type = sortedObject(resourcesByType);
  if (withGrants && run.grantsByType.size) {
    stats.grants_by_resource_type = sortedObject(run.grantsByType);
  }
  if (withGrants && run.entitlementsByType.size) {
    stats.entitlements_by_resource_type = sortedObject(run.entitlementsByType);
  }
  return stats;
}

// ---------------------------------------------------------------------------------------------
// The container: magic + zstd frame, via the zstd CLI (streaming, never the whole db in memory)

const ZSTD = existsSync("/usr/bin/zstd") ? "/usr/bin/zstd" : "zstd";
const MAGIC_V1 = Buffer.from("C1ZF\0", "latin1");
const MAGIC_V3 = Buffer.from("C1Z3\0", "latin1");

/** Runs zstd with `args`, feeding `input` (or nothing) and piping its stdout into `output`. */
async function runZstd(args: string[], input: Readable | null, output: Writable): Promise<void> {
  const child = spawn(ZSTD, args, { stdio: [input ? "pipe" : "ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve(code));
  });
  const stdout = child.stdout;
  if (!stdout) throw new Error("zstd: no stdout");
  const tasks: Promise<unknown>[] = [exited, pipeline(stdout, output)];
  if (input && child.stdin) tasks.push(pipeline(input, child.stdin));
  const results = await Promise.allSettled(tasks);
  const exit = results[0];
  if (exit?.status === "fulfilled" && exit.value !== 0) {
    throw new Error(`zstd ${args.join(" ")} exited with ${String(exit.value)}: ${stderr.trim()}`);
  }
  for (const result of results) {
    if (result.status === "rejected") throw result.reason;
  }
}

function levelArgs(level: number): string[] {
  if (!Number.isInteger(level) || level < 1 || level > 22) {
    throw new Error(`zstd level must be 1..22, got ${level}`);
  }
  return level > 19 ? ["--ultra", `-${level}`] : [`-${level}`];
}

async function writeContainer(
  dbPath: string,
  path: string,
  options: C1zFileOptions,
): Promise<void> {
  const level = levelArgs(options.level ?? 1);
  if (options.magic === "C1Z3") {
    await writeV3Envelope(path, level);
  } else {
    const out = createWriteStream(path);
    out.write(MAGIC_V1);
    if (options.contentSize) {
      // By name: zstd knows the size and records Frame_Content_Size in the frame header.
      await runZstd(["-q", "-c", ...level, "--", dbPath], null, out);
    } else {
      // From stdin: no content size in the header, as when baton streams its encoder.
      await runZstd(["-q", "-c", ...level], createReadStream(dbPath), out);
    }
  }
  if (options.corrupt) corruptFile(path, options.corrupt);
}

/**
 * A v3-shaped file: `C1Z3\0`, a uint32 BE manifest length, a C1ZManifestV3-like message
 * {1 engine "pebble", 2 engine_schema_version, 4 payload_encoding TAR_ZSTD}, then a zstd payload
 * standing in for the tar of a Pebble checkpoint. A v1 reader must reject it by its magic.
 */
async function writeV3Envelope(path: string, level: string[]): Promise<void> {
  const manifest = new BinaryWriter()
    .tag(1, LEN)
    .string("pebble")
    .tag(2, VARINT)
    .uint32(13)
    .tag(4, VARINT)
    .int32(1)
    .finish();
  const length = Buffer.alloc(4);
  length.writeUInt32BE(manifest.length, 0);
  const out = createWriteStream(path);
  out.write(MAGIC_V3);
  out.write(length);
  out.write(manifest);
  const payload = Buffer.from(
    "MANIFEST-000001\x00CURRENT\x00OPTIONS-000003\x00000004.sst\x00".repeat(64),
  );
  await runZstd(["-q", "-c", ...level], Readable.from([payload]), out);
}

function corruptFile(path: string, how: NonNullable<C1zFileOptions["corrupt"]>): void {
  const size = statSync(path).size;
  const frameBytes = size - MAGIC_V1.length;
  if (how === "truncate") {
    truncateSync(path, MAGIC_V1.length + Math.max(1, Math.floor(frameBytes / 2)));
  } else if (how === "garbage") {
    // Deterministic bytes that start with no zstd (28 b5 2f fd) or skippable-frame magic.
    const junk = Buffer.alloc(Math.max(64, frameBytes));
    let x = 0x2545f491;
    for (let i = 0; i < junk.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      junk[i] = x & 0xff;
    }
    junk.write("not zstd", 0, "latin1");
    writeFileSync(path, Buffer.concat([MAGIC_V1, junk]));
  } else {
    // The frame ends with the 4-byte XXH64 content checksum (zstd CLI writes one by default).
    const fd = openSync(path, "r+");
    try {
      const last = Buffer.alloc(1);
      readSync(fd, last, 0, 1, size - 1);
      last[0] = (last[0] ?? 0) ^ 0x01;
      writeSync(fd, last, 0, 1, size - 1);
    } finally {
      closeSync(fd);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Public one-shot writer and reader helpers

/**
 * Writes `fixture` as the main run (a finished `full` sync) plus any `extraRuns` to `path`.
 * Returns the sync ids and sizes (callers that only need the file can ignore the result).
 */
export async function writeC1z(
  path: string,
  fixture: C1zFixture,
  options: C1zWriteOptions = {},
): Promise<C1zWriteResult> {
  const builder = new C1zBuilder(options);
  try {
    const endedAt = options.endedAt ?? new Date();
    const endedDate = timestampDate(endedAt);
    const startedAt = options.startedAt ?? new Date(endedDate.getTime() - 60_000);
    const syncId = builder.beginRun({ syncId: options.syncId, syncType: "full", startedAt });
    builder.addFixture(fixture);
    builder.endRun({ finished: true, endedAt });
    (options.extraRuns ?? []).forEach((run, i) => {
      const defaultEnd = new Date(endedDate.getTime() - (i + 1) * 3_600_000);
      builder.beginRun({
        syncId: run.syncId,
        syncType: run.syncType ?? "full",
        parentSyncId: run.parentSyncId,
        startedAt: run.startedAt ?? new Date(defaultEnd.getTime() - 60_000),
      });
      builder.addFixture(run.fixture);
      builder.endRun({ finished: run.finished, endedAt: run.endedAt ?? defaultEnd });
    });
    const result = await builder.finish(path, options);
    return { ...result, syncId };
  } catch (error) {
    builder.abort();
    throw error;
  }
}

/**
 * Decompresses a v1 c1z with the zstd CLI into a fresh temporary directory and returns the
 * SQLite file's path. The caller removes it: `rmSync(dirname(dbPath), {recursive: true})`, or
 * use `withC1zDatabase`.
 */
export async function readC1zDatabase(path: string, tmpDir: string = tmpdir()): Promise<string> {
  const head = Buffer.alloc(5);
  const fd = openSync(path, "r");
  let read: number;
  try {
    read = readSync(fd, head, 0, 5, 0);
  } finally {
    closeSync(fd);
  }
  if (read < 5 || !head.equals(MAGIC_V1)) {
    throw new Error(`${path}: not a v1 c1z (magic ${head.subarray(0, read).toString("hex")})`);
  }
  const dir = mkdtempSync(join(tmpDir, "c1z-read-"));
  const dbPath = join(dir, "sync.db");
  try {
    await runZstd(
      ["-d", "-q", "-c"],
      createReadStream(path, { start: 5 }),
      createWriteStream(dbPath),
    );
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return dbPath;
}

/** Decompresses `path`, opens the database read-only for `fn`, then removes the temp file. */
export async function withC1zDatabase<T>(
  path: string,
  fn: (db: Database.Database) => T | Promise<T>,
): Promise<T> {
  const dbPath = await readC1zDatabase(path);
  const db = new Database(dbPath, { readonly: true });
  try {
    return await fn(db);
  } finally {
    db.close();
    rmSync(dirname(dbPath), { recursive: true, force: true });
  }
}
