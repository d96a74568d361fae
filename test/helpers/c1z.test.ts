// Checks the c1z fixture writer itself (test/helpers/c1z.ts), with the zstd CLI, better-sqlite3
// and a hand-rolled protobuf walk: nothing here goes through the product's baton reader.

import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import type Database from "better-sqlite3";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { generateC1z } from "../../bench/c1z-ingest/generate.js";
import {
  C1zBuilder,
  readC1zDatabase,
  traitNumber,
  withC1zDatabase,
  writeC1z,
  type C1zFixture,
} from "./c1z.js";

const dir = mkdtempSync(join(tmpdir(), "c1z-writer-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));

let fileNo = 0;
const nextPath = (): string => join(dir, `f${++fileNo}.c1z`);

const FIXTURE: C1zFixture = {
  resourceTypes: [
    { id: "user", displayName: "User", traits: ["USER"] },
    { id: "group", displayName: "Group", traits: ["GROUP"], skipAnomalyDetection: true },
    { id: "role", displayName: "Role", traits: ["ROLE", "SCOPE_BINDING"], description: "roles" },
  ],
  resources: [
    { resourceTypeId: "user", resourceId: "u1", displayName: "Ada", emails: ["ada@example.com"] },
    { resourceTypeId: "user", resourceId: "u2", displayName: "Bob", emails: ["b@x.io", "b2@x.io"] },
    { resourceTypeId: "user", resourceId: "u3", displayName: "Cy" },
    { resourceTypeId: "group", resourceId: "g1", displayName: "Eng" },
    {
      resourceTypeId: "group",
      resourceId: "g2",
      displayName: "Eng Platform",
      parent: { resourceTypeId: "group", resourceId: "g1" },
    },
    { resourceTypeId: "role", resourceId: "r1", displayName: "Admin" },
  ],
  entitlements: [
    { resourceTypeId: "group", resourceId: "g1", slug: "member", displayName: "Eng member" },
    {
      resourceTypeId: "group",
      resourceId: "g2",
      slug: "member",
      displayName: "Platform member",
      grantableTo: ["user", "group"],
    },
    {
      resourceTypeId: "role",
      resourceId: "r1",
      slug: "assigned",
      displayName: "Admin",
      purpose: "PERMISSION",
    },
  ],
  grants: [
    { entitlementId: "group:g1:member", principal: { resourceTypeId: "user", resourceId: "u1" } },
    { entitlementId: "group:g1:member", principal: { resourceTypeId: "user", resourceId: "u2" } },
    { entitlementId: "group:g2:member", principal: { resourceTypeId: "user", resourceId: "u3" } },
    {
      entitlementId: "group:g2:member",
      principal: { resourceTypeId: "group", resourceId: "g1" },
      expandable: { entitlementIds: ["group:g1:member"] },
    },
    { entitlementId: "role:r1:assigned", principal: { resourceTypeId: "user", resourceId: "u1" } },
  ],
};

const SMALL: C1zFixture = {
  resourceTypes: [{ id: "user", displayName: "User", traits: ["USER"] }],
  resources: [{ resourceTypeId: "user", resourceId: "x", displayName: "X" }],
  entitlements: [],
  grants: [],
};

// --- helpers -------------------------------------------------------------------------------

interface Field {
  no: number;
  wt: WireType;
  varint?: number;
  bytes?: Uint8Array;
}

/** Every top-level field of a message, in wire order (varints and length-delimited only). */
function fields(data: Uint8Array): Field[] {
  const r = new BinaryReader(data);
  const out: Field[] = [];
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    if (wt === WireType.Varint) out.push({ no, wt, varint: r.int32() });
    else if (wt === WireType.LengthDelimited) out.push({ no, wt, bytes: r.bytes() });
    else throw new Error(`unexpected wire type ${wt} for field ${no}`);
  }
  return out;
}

function one(data: Uint8Array, no: number): Field {
  const found = fields(data).filter((f) => f.no === no);
  assert.equal(found.length, 1, `exactly one field ${no}`);
  return found[0] as Field;
}

const text = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);

function anyTypeUrls(message: Uint8Array, no: number): string[] {
  return fields(message)
    .filter((f) => f.no === no)
    .map((f) => text(one(f.bytes as Uint8Array, 1).bytes));
}

function columns(db: Database.Database, table: string): string[] {
  return (
    db.prepare("SELECT name FROM pragma_table_info(?) ORDER BY cid").all(table) as {
      name: string;
    }[]
  ).map((c) => c.name);
}

function count(db: Database.Database, table: string, syncId: string): number {
  return db
    .prepare(`SELECT count(*) FROM ${table} WHERE sync_id = ?`)
    .pluck()
    .get(syncId) as number;
}

function dataOf(db: Database.Database, table: string, externalId: string): Uint8Array {
  return db
    .prepare(`SELECT data FROM ${table} WHERE external_id = ?`)
    .pluck()
    .get(externalId) as Buffer;
}

/** Frame header descriptor fields of the zstd frame after the 5-byte c1z magic. */
function frameHeader(file: Buffer): {
  fcsFlag: number;
  singleSegment: boolean;
  fcs: number | null;
} {
  assert.deepEqual([...file.subarray(5, 9)], [0x28, 0xb5, 0x2f, 0xfd], "zstd frame magic");
  const fhd = file[9] as number;
  const fcsFlag = fhd >> 6;
  const singleSegment = ((fhd >> 5) & 1) === 1;
  const dictBytes = [0, 1, 2, 4][fhd & 3] as number;
  const fcsBytes = fcsFlag === 0 ? (singleSegment ? 1 : 0) : [0, 2, 4, 8][fcsFlag];
  let at = 10 + (singleSegment ? 0 : 1) + dictBytes;
  let fcs: number | null = null;
  if (fcsBytes) {
    fcs = 0;
    for (let i = 0; i < (fcsBytes as number); i++) fcs += (file[at++] as number) * 2 ** (8 * i);
    if (fcsBytes === 2) fcs += 256;
  }
  return { fcsFlag, singleSegment, fcs };
}

// --- tests ---------------------------------------------------------------------------------

test("writes the C1ZF magic, then one zstd frame holding a SQLite database", async () => {
  const path = nextPath();
  await writeC1z(path, FIXTURE);
  const file = readFileSync(path);
  assert.deepEqual([...file.subarray(0, 5)], [0x43, 0x31, 0x5a, 0x46, 0x00]);
  assert.deepEqual([...file.subarray(5, 9)], [0x28, 0xb5, 0x2f, 0xfd]);

  const dbPath = await readC1zDatabase(path);
  try {
    const header = readFileSync(dbPath).subarray(0, 20);
    assert.equal(header.subarray(0, 16).toString("latin1"), "SQLite format 3\0");
    assert.deepEqual([header[18], header[19]], [1, 1], "rollback journal, not WAL");
  } finally {
    rmSync(dirname(dbPath), { recursive: true, force: true });
  }
});

test("round trip (current schema): tables, columns, indexes and counts", async () => {
  const path = nextPath();
  const { syncId, counts } = await writeC1z(path, FIXTURE);
  assert.deepEqual(counts, { resourceTypes: 3, resources: 6, entitlements: 3, grants: 5 });
  await withC1zDatabase(path, (db) => {
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all();
    assert.deepEqual(tables, [
      "v1_assets",
      "v1_connector_sessions",
      "v1_entitlements",
      "v1_grants",
      "v1_resource_types",
      "v1_resources",
      "v1_sync_runs",
    ]);
    const common = ["data", "sync_id", "discovered_at"];
    assert.deepEqual(columns(db, "v1_resource_types"), ["id", "external_id", ...common]);
    assert.deepEqual(columns(db, "v1_resources"), [
      "id",
      "resource_type_id",
      "external_id",
      "parent_resource_type_id",
      "parent_resource_id",
      ...common,
    ]);
    assert.deepEqual(columns(db, "v1_entitlements"), [
      "id",
      "resource_type_id",
      "resource_id",
      "external_id",
      ...common,
    ]);
    assert.deepEqual(columns(db, "v1_grants"), [
      "id",
      "resource_type_id",
      "resource_id",
      "entitlement_id",
      "principal_resource_type_id",
      "principal_resource_id",
      "external_id",
      "expansion",
      "needs_expansion",
      ...common,
    ]);
    assert.deepEqual(columns(db, "v1_sync_runs"), [
      "id",
      "sync_id",
      "started_at",
      "ended_at",
      "sync_token",
      "sync_type",
      "parent_sync_id",
      "linked_sync_id",
      "supports_diff",
      "grants_backfilled",
      "stats",
      "ingest_invariant_generation",
      "ingest_invariant_coverage",
      "ingest_invariant_mode",
    ]);
    assert.deepEqual(columns(db, "v1_assets"), [
      "id",
      "external_id",
      "content_type",
      "data",
      "sync_id",
      "discovered_at",
    ]);
    assert.deepEqual(columns(db, "v1_connector_sessions"), ["id", "sync_id", "key", "value"]);

    // Every object table has a unique (external_id, sync_id) index.
    for (const table of ["v1_resource_types", "v1_resources", "v1_entitlements", "v1_grants"]) {
      const unique = (
        db.prepare('SELECT name FROM pragma_index_list(?) WHERE "unique" = 1').all(table) as {
          name: string;
        }[]
      ).map((i) =>
        db.prepare("SELECT name FROM pragma_index_info(?) ORDER BY seqno").pluck().all(i.name),
      );
      assert.deepEqual(unique, [["external_id", "sync_id"]], table);
    }

    assert.equal(count(db, "v1_resource_types", syncId), 3);
    assert.equal(count(db, "v1_resources", syncId), 6);
    assert.equal(count(db, "v1_entitlements", syncId), 3);
    assert.equal(count(db, "v1_grants", syncId), 5);

    const g2 = db
      .prepare(
        "SELECT parent_resource_type_id, parent_resource_id FROM v1_resources WHERE external_id = 'group:g2'",
      )
      .get();
    assert.deepEqual(g2, { parent_resource_type_id: "group", parent_resource_id: "g1" });
    const nested = db
      .prepare(
        "SELECT resource_type_id, resource_id, principal_resource_type_id, principal_resource_id, " +
          "needs_expansion, expansion FROM v1_grants WHERE external_id = 'group:g2:member:group:g1'",
      )
      .get() as Record<string, unknown>;
    assert.equal(nested.resource_type_id, "group");
    assert.equal(nested.resource_id, "g2");
    assert.equal(nested.principal_resource_type_id, "group");
    assert.equal(nested.needs_expansion, 1);
    assert.equal(text(one(nested.expansion as Buffer, 1).bytes), "group:g1:member");
    const plain = db
      .prepare("SELECT count(*) FROM v1_grants WHERE expansion IS NULL AND needs_expansion = 0")
      .pluck()
      .get();
    assert.equal(plain, 4);
    const discovered = db.prepare("SELECT discovered_at FROM v1_grants LIMIT 1").pluck().get();
    assert.match(String(discovered), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,9})?$/);
  });
});

test("sync_runs row: finished full run with stats (current schema)", async () => {
  const path = nextPath();
  const { syncId } = await writeC1z(path, FIXTURE, {
    startedAt: "2026-01-02 03:04:05.123456789",
    endedAt: "2026-01-02 03:09:05.5",
  });
  assert.match(syncId, /^[0-9A-Za-z]{27}$/);
  await withC1zDatabase(path, (db) => {
    const runs = db.prepare("SELECT * FROM v1_sync_runs").all() as Record<string, unknown>[];
    assert.equal(runs.length, 1);
    const run = runs[0] as Record<string, unknown>;
    assert.equal(run.sync_id, syncId);
    assert.equal(run.started_at, "2026-01-02 03:04:05.123456789");
    assert.equal(run.ended_at, "2026-01-02 03:09:05.5");
    assert.equal(run.sync_type, "full");
    assert.equal(run.parent_sync_id, "");
    assert.equal(run.supports_diff, 1);
    assert.deepEqual(JSON.parse(String(run.stats)), {
      resource_types: 3,
      resources: 6,
      entitlements: 3,
      grants: 5,
      resources_by_resource_type: { group: 2, role: 1, user: 3 },
      grants_by_resource_type: { group: 4, role: 1 },
      entitlements_by_resource_type: { group: 2, role: 1 },
    });
    const token = JSON.parse(String(run.sync_token)) as { actions: unknown[] };
    assert.deepEqual(token.actions, []);
  });
});

test("legacy schema (SDK v0.2.51): old sync_runs and grants columns, annotation kept", async () => {
  const path = nextPath();
  const { syncId } = await writeC1z(path, FIXTURE, { schema: "legacy" });
  await withC1zDatabase(path, (db) => {
    assert.deepEqual(columns(db, "v1_sync_runs"), [
      "id",
      "sync_id",
      "started_at",
      "ended_at",
      "sync_token",
    ]);
    const grantColumns = columns(db, "v1_grants");
    assert.ok(!grantColumns.includes("expansion") && !grantColumns.includes("needs_expansion"));
    assert.equal(columns(db, "v1_connector_sessions").length, 0, "no sessions table");
    const run = db.prepare("SELECT sync_id, ended_at FROM v1_sync_runs").get() as {
      sync_id: string;
      ended_at: string | null;
    };
    assert.equal(run.sync_id, syncId);
    assert.ok(run.ended_at);
    assert.equal(count(db, "v1_grants", syncId), 5);
    // Without the expansion column the GrantExpandable stays in Grant.annotations (field 4).
    const grant = dataOf(db, "v1_grants", "group:g2:member:group:g1");
    assert.deepEqual(anyTypeUrls(grant, 4), [
      "type.googleapis.com/c1.connector.v2.GrantExpandable",
    ]);
  });
});

test("extra runs: own sync ids and rows; the SDK's query picks the latest finished full run", async () => {
  const path = nextPath();
  const { syncId, syncIds } = await writeC1z(path, FIXTURE, {
    endedAt: "2026-03-01 12:00:00",
    extraRuns: [
      { syncType: "partial", finished: true, endedAt: "2026-03-01 13:00:00", fixture: SMALL },
      { finished: false, startedAt: "2026-03-01 14:00:00", fixture: SMALL },
      { finished: true, fixture: SMALL }, // ends an hour before the main run by default
    ],
  });
  assert.equal(syncIds.length, 4);
  assert.equal(new Set(syncIds).size, 4);
  assert.equal(syncIds[0], syncId);
  await withC1zDatabase(path, (db) => {
    const latest = (filter: string): unknown =>
      db
        .prepare(
          `SELECT sync_id FROM v1_sync_runs WHERE ended_at IS NOT NULL ${filter} ` +
            "ORDER BY ended_at DESC, sync_id DESC LIMIT 1",
        )
        .pluck()
        .get();
    assert.equal(latest("AND sync_type = 'full'"), syncId);
    assert.equal(latest(""), syncIds[1], "a newer partial run exists");
    const unfinished = db
      .prepare("SELECT sync_id, stats FROM v1_sync_runs WHERE ended_at IS NULL")
      .all();
    assert.deepEqual(unfinished, [{ sync_id: syncIds[2], stats: null }]);
    assert.equal(count(db, "v1_grants", syncId), 5);
    for (const id of syncIds.slice(1)) {
      assert.equal(count(db, "v1_resources", id), 1);
      assert.equal(count(db, "v1_grants", id), 0);
    }
  });
});

test("contentSize: the frame header records Frame_Content_Size only when asked", async () => {
  const streamed = nextPath();
  const sized = nextPath();
  await writeC1z(streamed, FIXTURE);
  const { dbBytes } = await writeC1z(sized, FIXTURE, { contentSize: true });

  const s = frameHeader(readFileSync(streamed));
  assert.equal(s.fcsFlag, 0);
  assert.equal(s.singleSegment, false);
  assert.equal(s.fcs, null);

  const z = frameHeader(readFileSync(sized));
  assert.ok(z.fcsFlag !== 0 || z.singleSegment);
  assert.equal(z.fcs, dbBytes);
});

test("ResourceType blob: id, display name, packed traits, anomaly annotation", async () => {
  const path = nextPath();
  await writeC1z(path, FIXTURE);
  await withC1zDatabase(path, (db) => {
    const role = dataOf(db, "v1_resource_types", "role");
    assert.equal(text(one(role, 1).bytes), "role");
    assert.equal(text(one(role, 2).bytes), "Role");
    const traits = one(role, 3);
    assert.equal(traits.wt, WireType.LengthDelimited, "packed");
    const packed = new BinaryReader(traits.bytes as Uint8Array);
    const values: number[] = [];
    while (packed.pos < packed.len) values.push(packed.int32());
    assert.deepEqual(values, [traitNumber("ROLE"), traitNumber("SCOPE_BINDING")]);
    assert.deepEqual(values, [3, 7]);
    assert.equal(text(one(role, 5).bytes), "roles");
    assert.deepEqual(anyTypeUrls(role, 4), []);

    const group = dataOf(db, "v1_resource_types", "group");
    assert.deepEqual(anyTypeUrls(group, 4), [
      "type.googleapis.com/c1.connector.v2.SkipSyncAnomalyDetection",
    ]);
  });
});

test("Resource, Entitlement and Grant blobs (full and slim grants)", async () => {
  const full = nextPath();
  const slim = nextPath();
  await writeC1z(full, FIXTURE);
  await writeC1z(slim, FIXTURE, { slimGrants: true });
  await withC1zDatabase(full, (db) => {
    const bob = dataOf(db, "v1_resources", "user:u2");
    const id = one(bob, 1).bytes as Uint8Array;
    assert.equal(text(one(id, 1).bytes), "user");
    assert.equal(text(one(id, 2).bytes), "u2");
    assert.equal(text(one(bob, 3).bytes), "Bob");
    const userTrait = fields(bob).find((f) => f.no === 4)?.bytes as Uint8Array;
    assert.equal(text(one(userTrait, 1).bytes), "type.googleapis.com/c1.connector.v2.UserTrait");
    const trait = one(userTrait, 2).bytes as Uint8Array;
    const emails = fields(trait)
      .filter((f) => f.no === 1)
      .map((f) => text(one(f.bytes as Uint8Array, 1).bytes));
    assert.deepEqual(emails, ["b@x.io", "b2@x.io"]);
    assert.equal(one(trait, 5).varint, 1, "account_type HUMAN");
    // Unknown to a minimal reader: status (11) and created_at (12).
    assert.deepEqual(
      fields(bob)
        .map((f) => f.no)
        .filter((n) => n > 5),
      [11, 12],
    );

    const ent = dataOf(db, "v1_entitlements", "role:r1:assigned");
    assert.equal(text(one(ent, 2).bytes), "role:r1:assigned");
    assert.equal(text(one(ent, 3).bytes), "Admin");
    assert.equal(one(ent, 7).varint, 2, "PERMISSION");
    assert.equal(text(one(ent, 8).bytes), "assigned");
    const entResource = one(ent, 1).bytes as Uint8Array;
    assert.equal(text(one(entResource, 3).bytes), "Admin", "embeds the resource message");
    const platform = dataOf(db, "v1_entitlements", "group:g2:member");
    assert.equal(fields(platform).filter((f) => f.no === 5).length, 2, "grantable_to");

    const grant = dataOf(db, "v1_grants", "group:g1:member:user:u2");
    assert.deepEqual(
      fields(grant).map((f) => f.no),
      [1, 2, 3],
    );
    assert.equal(text(one(grant, 3).bytes), "group:g1:member:user:u2");
    assert.equal(text(one(one(grant, 1).bytes as Uint8Array, 2).bytes), "group:g1:member");
    const principal = one(grant, 2).bytes as Uint8Array;
    assert.deepEqual(
      fields(principal).map((f) => f.no),
      [1],
      "principal is an id stub",
    );
    // Current schema: GrantExpandable moved to the expansion column, not in annotations.
    assert.deepEqual(anyTypeUrls(dataOf(db, "v1_grants", "group:g2:member:group:g1"), 4), []);
  });
  await withC1zDatabase(slim, (db) => {
    const grant = dataOf(db, "v1_grants", "group:g1:member:user:u2");
    assert.deepEqual(
      fields(grant).map((f) => f.no),
      [3],
    );
    const row = db
      .prepare(
        "SELECT entitlement_id, principal_resource_id FROM v1_grants " +
          "WHERE external_id = 'group:g1:member:user:u2'",
      )
      .get();
    assert.deepEqual(row, { entitlement_id: "group:g1:member", principal_resource_id: "u2" });
  });
});

test("damaged and v3 files", async () => {
  const truncated = nextPath();
  await writeC1z(truncated, FIXTURE, { corrupt: "truncate" });
  await assert.rejects(readC1zDatabase(truncated), /zstd/);

  const garbage = nextPath();
  await writeC1z(garbage, FIXTURE, { corrupt: "garbage" });
  assert.equal(readFileSync(garbage).subarray(0, 5).toString("latin1"), "C1ZF\0");
  await assert.rejects(readC1zDatabase(garbage), /zstd/);

  const checksum = nextPath();
  await writeC1z(checksum, FIXTURE, { corrupt: "checksum" });
  await assert.rejects(readC1zDatabase(checksum), /zstd/);

  const v3 = nextPath();
  await writeC1z(v3, FIXTURE, { magic: "C1Z3" });
  const file = readFileSync(v3);
  assert.equal(file.subarray(0, 5).toString("latin1"), "C1Z3\0");
  const manifestLength = file.readUInt32BE(5);
  const manifest = file.subarray(9, 9 + manifestLength);
  assert.equal(text(one(manifest, 1).bytes), "pebble");
  assert.deepEqual(
    [...file.subarray(9 + manifestLength, 13 + manifestLength)],
    [0x28, 0xb5, 0x2f, 0xfd],
  );
  await assert.rejects(readC1zDatabase(v3), /not a v1 c1z/);

  const level = nextPath();
  await writeC1z(level, SMALL, { level: 19 });
  const check = spawnSync("zstd", ["-t", "-q", "-"], { input: readFileSync(level).subarray(5) });
  assert.equal(check.status, 0);
});

test("C1zBuilder: small transactions, dangling grants, counts", async () => {
  const builder = new C1zBuilder({ batchSize: 3 });
  const syncId = builder.beginRun();
  builder.addResourceType({ id: "user", displayName: "User", traits: ["USER"] });
  builder.addResourceType({ id: "team", displayName: "Team", traits: ["GROUP"] });
  for (let i = 0; i < 10; i++) {
    builder.addResource({ resourceTypeId: "user", resourceId: `u${i}`, displayName: `U${i}` });
  }
  builder.addResource({ resourceTypeId: "team", resourceId: "t", displayName: "T" });
  builder.addEntitlement({
    resourceTypeId: "team",
    resourceId: "t",
    slug: "member",
    displayName: "M",
  });
  for (let i = 0; i < 10; i++) {
    builder.addGrant({
      entitlementId: "team:t:member",
      principal: { resourceTypeId: "user", resourceId: `u${i}` },
    });
  }
  // An entitlement that is not in the file: columns from the id, a stub Entitlement in data.
  builder.addGrant({
    entitlementId: "app:a:b:admin",
    principal: { resourceTypeId: "user", resourceId: "u0" },
  });
  const path = nextPath();
  const result = await builder.finish(path);
  assert.deepEqual(result.counts, { resourceTypes: 2, resources: 11, entitlements: 1, grants: 11 });
  assert.deepEqual(result.syncIds, [syncId]);
  await withC1zDatabase(path, (db) => {
    assert.equal(count(db, "v1_grants", syncId), 11);
    const dangling = db
      .prepare(
        "SELECT resource_type_id, resource_id FROM v1_grants WHERE entitlement_id = 'app:a:b:admin'",
      )
      .get();
    assert.deepEqual(dangling, { resource_type_id: "app", resource_id: "a:b" });
    const run = db.prepare("SELECT ended_at, stats FROM v1_sync_runs").get() as {
      ended_at: string | null;
      stats: string;
    };
    assert.ok(run.ended_at, "finish() ends an open run");
    assert.equal((JSON.parse(run.stats) as { grants: number }).grants, 11);
  });
});

test("generator (small): every user in grantsPerUser distinct groups", async () => {
  const path = nextPath();
  const result = await generateC1z({ path, users: 50, groups: 25, roles: 3, totalGrants: 250 });
  assert.deepEqual(result.counts, {
    resourceTypes: 3,
    resources: 78,
    entitlements: 28,
    grants: 250,
  });
  await withC1zDatabase(path, (db) => {
    const perUser = db
      .prepare(
        "SELECT count(DISTINCT entitlement_id) n FROM v1_grants WHERE principal_resource_type_id = 'user' " +
          "GROUP BY principal_resource_id",
      )
      .pluck()
      .all();
    assert.equal(perUser.length, 50);
    assert.ok(perUser.every((n) => n === 5));
    const duplicates = db
      .prepare("SELECT count(*) - count(DISTINCT external_id) FROM v1_grants")
      .pluck()
      .get();
    assert.equal(duplicates, 0);
  });
});
