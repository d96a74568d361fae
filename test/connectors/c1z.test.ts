// The c1z reader against files written by an independent fixture writer (test/helpers/c1z.ts,
// which shares no code with the reader): current and legacy schemas, run selection, slim grants,
// the SkipSyncAnomalyDetection annotation, and every way a file can be wrong.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  C1zError,
  DEFAULT_C1Z_LIMITS,
  readC1z,
  useZstdDecoder,
  zstdDecoder,
  type C1zSync,
} from "../../src/connectors/baton/c1z.js";
import Database from "better-sqlite3";
import {
  C1zBuilder,
  readC1zDatabase,
  writeC1z,
  type C1zFixture,
  type C1zWriteOptions,
} from "../helpers/c1z.js";
import { tempDir } from "../helpers/server.js";

const fixture = (users: number, prefix = "u"): C1zFixture => ({
  resourceTypes: [
    { id: "user", displayName: "User", traits: ["USER"] },
    { id: "group", displayName: "Group", traits: ["GROUP"] },
    { id: "secret", displayName: "Secret", traits: ["SECRET"], skipAnomalyDetection: true },
  ],
  resources: [
    ...Array.from({ length: users }, (_, i) => ({
      resourceTypeId: "user",
      resourceId: `${prefix}${i}`,
      displayName: `User ${i}`,
      emails: [`u${i}@example.com`],
    })),
    { resourceTypeId: "group", resourceId: "eng", displayName: "Engineering" },
    {
      resourceTypeId: "secret",
      resourceId: "key:1",
      displayName: "API key",
      parent: { resourceTypeId: "group", resourceId: "eng" },
    },
  ],
  entitlements: [
    { resourceTypeId: "group", resourceId: "eng", slug: "member", displayName: "Eng member" },
  ],
  grants: Array.from({ length: users }, (_, i) => ({
    entitlementId: "group:eng:member",
    principal: { resourceTypeId: "user", resourceId: `${prefix}${i}` },
  })),
});

let dir: string;
let n = 0;
before(() => {
  dir = tempDir("syncplane-c1z-");
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function write(data: C1zFixture, options: C1zWriteOptions = {}) {
  const path = join(dir, `f${n++}.c1z`);
  const written = await writeC1z(path, data, options);
  return { path, syncId: written.syncId };
}

async function read(path: string, limits = DEFAULT_C1Z_LIMITS): Promise<C1zSync> {
  return readC1z(path, join(dir, `db${n++}.sqlite`), limits);
}

async function collect<T>(batches: AsyncIterable<readonly T[]>): Promise<T[]> {
  const all: T[] = [];
  for await (const batch of batches) all.push(...batch);
  return all;
}

// Both decoders: libzstd through the optional zstd-napi, and fzstd in JavaScript.
for (const decoder of ["native", "js"] as const)
  describe(`c1z reader (${decoder} zstd)`, () => {
    before(() => useZstdDecoder(decoder));
    it(`decodes with the ${decoder} decoder (zstd-napi is installed by npm install)`, async () => {
      assert.equal(await zstdDecoder(), decoder);
    });
    after(() => useZstdDecoder("native"));

    it("reads types with traits and the anomaly-detection exemption, resources, entitlements, grants, counts", async () => {
      const { path, syncId } = await write(fixture(3));
      const sync = await read(path);
      try {
        assert.equal(sync.syncId, syncId);
        assert.equal(sync.syncType, "full");
        assert.deepEqual(
          [...sync.resourceTypes].sort((a, b) => a.id.localeCompare(b.id)),
          [
            { id: "group", displayName: "Group", traits: ["GROUP"], skipDataDropCheck: false },
            { id: "secret", displayName: "Secret", traits: ["SECRET"], skipDataDropCheck: true },
            { id: "user", displayName: "User", traits: ["USER"], skipDataDropCheck: false },
          ],
        );
        assert.deepEqual(sync.counts, {
          resources: { user: 3, group: 1, secret: 1 },
          entitlements: 1,
          grants: 3,
          entitlementsByResourceType: { group: 1 },
          grantsByResourceType: { group: 3 },
        });
        const resources = await collect(sync.resources());
        assert.deepEqual(
          resources.find((r) => r.resourceTypeId === "secret"),
          {
            resourceTypeId: "secret",
            resourceId: "key:1",
            displayName: "API key",
            parent: { resourceTypeId: "group", resourceId: "eng" },
          },
        );
        assert.deepEqual(await collect(sync.entitlements()), [
          {
            id: "group:eng:member",
            resourceTypeId: "group",
            resourceId: "eng",
            slug: "member",
            displayName: "Eng member",
          },
        ]);
        const grants = await collect(sync.grants());
        assert.deepEqual(grants[0], {
          id: "group:eng:member:user:u0",
          entitlementId: "group:eng:member",
          principal: { resourceTypeId: "user", resourceId: "u0" },
        });
      } finally {
        sync.close();
      }
    });

    it("counts grants per type also when a grant's entitlement is not in the file", async () => {
      const data = fixture(2);
      const { path } = await write({
        ...data,
        grants: [
          ...data.grants,
          {
            entitlementId: "role:admin:assigned",
            principal: { resourceTypeId: "user", resourceId: "u0" },
            resource: { resourceTypeId: "role", resourceId: "admin" },
          },
        ],
      });
      const sync = await read(path);
      try {
        assert.equal(sync.counts.grants, 3);
        assert.deepEqual(sync.counts.grantsByResourceType, { group: 2, role: 1 });
      } finally {
        sync.close();
      }
    });

    it("delivers large syncs in bounded batches", async () => {
      const { path } = await write(fixture(4500));
      const sync = await read(path);
      try {
        const sizes: number[] = [];
        for await (const batch of sync.grants()) sizes.push(batch.length);
        assert.deepEqual(sizes, [2000, 2000, 500]);
      } finally {
        sync.close();
      }
    });

    it("reads old files (no sync_type or stats), slim grants, and frames with and without a content size", async () => {
      for (const options of [
        { schema: "legacy" as const },
        { slimGrants: true },
        { contentSize: true },
        { contentSize: false, level: 19 },
      ]) {
        const { path, syncId } = await write(fixture(5), options);
        const sync = await read(path);
        try {
          assert.equal(sync.syncId, syncId, JSON.stringify(options));
          assert.equal((await collect(sync.grants())).length, 5);
          assert.equal((await collect(sync.resources())).length, 7);
        } finally {
          sync.close();
        }
      }
    });

    it("picks the latest finished full run: not an unfinished one, not a partial one", async () => {
      const { path, syncId } = await write(fixture(4), {
        endedAt: "2026-06-01 10:00:00",
        extraRuns: [
          { finished: true, endedAt: "2026-05-01 10:00:00", fixture: fixture(9, "old") },
          { finished: false, fixture: fixture(1, "unfinished") },
          {
            finished: true,
            syncType: "partial",
            endedAt: "2026-07-01 10:00:00",
            fixture: fixture(2, "partial"),
          },
        ],
      });
      const sync = await read(path);
      try {
        assert.equal(sync.syncId, syncId);
        const users = (await collect(sync.resources())).filter((r) => r.resourceTypeId === "user");
        assert.deepEqual(
          users.map((u) => u.resourceId),
          ["u0", "u1", "u2", "u3"],
        );
        assert.equal(sync.counts.grants, 4);
      } finally {
        sync.close();
      }
    });

    it("refuses files it cannot read, with errors that say what to do, and leaves no database behind", async () => {
      const cases: [string, () => Promise<string>, RegExp][] = [
        [
          "Pebble (v3)",
          async () => (await write(fixture(1), { magic: "C1Z3" })).path,
          /v3 \(Pebble\) format.*BATON_STORAGE_ENGINE=sqlite/,
        ],
        [
          "truncated",
          async () => (await write(fixture(50), { corrupt: "truncate" })).path,
          /damaged|truncated/,
        ],
        ["garbage", async () => (await write(fixture(50), { corrupt: "garbage" })).path, /damaged/],
        [
          "not a c1z",
          async () => {
            const path = join(dir, "plain.json");
            writeFileSync(path, '{"not":"a c1z"}');
            return path;
          },
          /not a c1z file: it starts with "\{\\"not", not "C1ZF\\0"/,
        ],
        [
          "header only",
          async () => {
            const path = join(dir, "empty.c1z");
            writeFileSync(path, "C1ZF\0");
            return path;
          },
          /no data after its 5-byte header/,
        ],
        ["missing", async () => join(dir, "nope.c1z"), /no c1z file at/],
        [
          "no finished full run",
          async () => {
            const path = join(dir, "unfinished.c1z");
            const builder = new C1zBuilder({ tmpDir: dir });
            builder.beginRun({});
            builder.addFixture(fixture(2));
            builder.endRun({ finished: false });
            await builder.finish(path, {});
            return path;
          },
          /no finished full sync: the connector stopped before its sync ended/,
        ],
      ];
      for (const [name, make, message] of cases) {
        const path = await make();
        const dbPath = join(dir, `refused-${n++}.sqlite`);
        await assert.rejects(readC1z(path, dbPath), (error: unknown) => {
          assert.ok(error instanceof C1zError, `${name}: ${String(error)}`);
          assert.match(error.message, message, name);
          return true;
        });
        assert.equal(existsSync(dbPath), false, `${name}: temp database removed`);
      }
    });

    it("names the row when a data blob is damaged, after the file opened fine", async () => {
      const { path } = await write(fixture(3));
      const dbPath = await readC1zDatabase(path, dir);
      const db = new Database(dbPath);
      // Field 3 (display name) claims 127 bytes that are not there.
      db.prepare(
        "UPDATE v1_resources SET data = x'1a7f41' WHERE rowid = (SELECT min(rowid) FROM v1_resources)",
      ).run();
      db.close();
      const damaged = join(dir, "damaged.c1z");
      writeFileSync(
        damaged,
        Buffer.concat([
          Buffer.from("C1ZF\0", "latin1"),
          execFileSync("zstd", ["-q", "-c", dbPath]),
        ]),
      );
      const sync = await read(damaged);
      try {
        assert.equal(sync.counts.grants, 3);
        await assert.rejects(collect(sync.resources()), {
          name: "C1zError",
          message: /^row 1 of the c1z's v1_resources cannot be read \(.+\): the file is damaged/,
        });
      } finally {
        sync.close();
      }
    });

    it("enforces the decoded-size and window limits", async () => {
      const { path } = await write(fixture(200));
      await assert.rejects(read(path, { ...DEFAULT_C1Z_LIMITS, maxDecodedBytes: 64 * 1024 }), {
        name: "C1zError",
        message: /decompresses to more than 0\.1 MiB/,
      });
      await assert.rejects(read(path, { ...DEFAULT_C1Z_LIMITS, maxWindowBytes: 1024 }), {
        name: "C1zError",
        message: /zstd window is .* more than the 0\.0 MiB/,
      });
    });
  });
