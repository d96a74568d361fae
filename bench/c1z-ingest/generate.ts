// bench/c1z-ingest/generate.ts: writes a large, realistic baton c1z for ingest benchmarks.
//
//   node --import tsx bench/c1z-ingest/generate.ts --out /tmp/bench.c1z [--grants N]
//        [--users N] [--groups N] [--roles N] [--level N] [--content-size] [--slim-grants]
//        [--legacy] [--tmp-dir DIR]
//
// Defaults: 100,000 users, 10,000 groups, 100 roles, 1,000,000 grants (each user a member of
// 10 groups; entitlements `group:<id>:member`, grantable to users, plus `role:<id>:assigned`),
// zstd level 1 from a stream with no content size in the frame header, as baton writes it.
// Rows are streamed through C1zBuilder (prepared statements, 10k-row transactions), so memory
// stays flat whatever the size.

import { statSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { C1zBuilder, type C1zCounts } from "../../test/helpers/c1z.js";

export interface GenerateOptions {
  path: string;
  users?: number;
  groups?: number;
  roles?: number;
  /** Total grants (group memberships). Default users × grantsPerUser, or 1,000,000. */
  totalGrants?: number;
  /** Alternative to totalGrants: memberships per user. */
  grantsPerUser?: number;
  level?: number;
  contentSize?: boolean;
  slimGrants?: boolean;
  schema?: "current" | "legacy";
  tmpDir?: string;
}

export interface GenerateResult {
  path: string;
  syncId: string;
  counts: C1zCounts;
  dbBytes: number;
  c1zBytes: number;
  /** Milliseconds: writing rows, building the grants indexes, compressing, in all. */
  timings: { rowsMs: number; indexMs: number; compressMs: number; totalMs: number };
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** A stride coprime with `n`, so member m of a group maps to distinct users for m < n. */
function strideFor(n: number): number {
  for (const candidate of [7919, 104729, 1_000_003, 1]) {
    if (gcd(candidate, n) === 1) return candidate % Math.max(n, 1) || 1;
  }
  return 1;
}

export async function generateC1z(options: GenerateOptions): Promise<GenerateResult> {
  const users = options.users ?? 100_000;
  const groups = options.groups ?? 10_000;
  const roles = options.roles ?? 100;
  const totalGrants =
    options.totalGrants ??
    (options.grantsPerUser !== undefined ? users * options.grantsPerUser : 1_000_000);
  if (users < 1 || groups < 1) throw new Error("need at least one user and one group");
  const perGroup = Math.ceil(totalGrants / groups);
  if (perGroup > users) {
    throw new Error(`${totalGrants} grants over ${groups} groups need ≥ ${perGroup} users`);
  }
  const stride = strideFor(users);

  const start = performance.now();
  const builder = new C1zBuilder({
    schema: options.schema,
    slimGrants: options.slimGrants,
    tmpDir: options.tmpDir,
  });
  try {
    const syncId = builder.beginRun({ syncType: "full" });
    builder.addResourceType({ id: "user", displayName: "User", traits: ["USER"] });
    builder.addResourceType({ id: "group", displayName: "Group", traits: ["GROUP"] });
    builder.addResourceType({ id: "role", displayName: "Role", traits: ["ROLE"] });
    for (let u = 0; u < users; u++) {
      builder.addResource({
        resourceTypeId: "user",
        resourceId: `u${u}`,
        displayName: `User ${u}`,
        emails: [`user${u}@example.com`],
      });
    }
    for (let g = 0; g < groups; g++) {
      builder.addResource({
        resourceTypeId: "group",
        resourceId: `g${g}`,
        displayName: `Group ${g}`,
        description: `Synthetic group number ${g}`,
      });
    }
    for (let r = 0; r < roles; r++) {
      builder.addResource({
        resourceTypeId: "role",
        resourceId: `r${r}`,
        displayName: `Role ${r}`,
      });
    }
    for (let g = 0; g < groups; g++) {
      builder.addEntitlement({
        resourceTypeId: "group",
        resourceId: `g${g}`,
        slug: "member",
        displayName: `Group ${g} Member`,
        description: `Member of Group ${g}`,
        grantableTo: ["user"],
      });
    }
    for (let r = 0; r < roles; r++) {
      builder.addEntitlement({
        resourceTypeId: "role",
        resourceId: `r${r}`,
        slug: "assigned",
        displayName: `Role ${r} Assigned`,
        purpose: "PERMISSION",
        grantableTo: ["user"],
      });
    }
    // Grants in the order a sync lists them (entitlement by entitlement). Member m of group g
    // is user (g·perGroup + m·stride) mod users: distinct within a group, and when
    // totalGrants = users × k, every user ends up in exactly k groups.
    let written = 0;
    for (let g = 0; g < groups && written < totalGrants; g++) {
      const entitlementId = `group:g${g}:member`;
      for (let m = 0; m < perGroup && written < totalGrants; m++) {
        const u = (g * perGroup + m * stride) % users;
        builder.addGrant({
          entitlementId,
          principal: { resourceTypeId: "user", resourceId: `u${u}` },
        });
        written++;
      }
    }
    builder.endRun({ finished: true });
    const rowsMs = performance.now() - start;
    const result = await builder.finish(options.path, {
      level: options.level ?? 1,
      contentSize: options.contentSize ?? false,
    });
    return {
      path: result.path,
      syncId,
      counts: result.counts,
      dbBytes: result.dbBytes,
      c1zBytes: result.c1zBytes,
      timings: {
        rowsMs,
        indexMs: result.timings.indexMs,
        compressMs: result.timings.compressMs,
        totalMs: performance.now() - start,
      },
    };
  } catch (error) {
    builder.abort();
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// CLI

const fmt = (n: number): string => n.toLocaleString("en-US");
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: "string", short: "o" },
      grants: { type: "string" },
      users: { type: "string" },
      groups: { type: "string" },
      roles: { type: "string" },
      level: { type: "string" },
      "content-size": { type: "boolean" },
      "slim-grants": { type: "boolean" },
      legacy: { type: "boolean" },
      "tmp-dir": { type: "string" },
    },
  });
  if (!values.out) {
    console.error("usage: generate.ts --out FILE.c1z [--grants N] [--users N] [--groups N] ...");
    process.exit(2);
  }
  const num = (v: string | undefined): number | undefined =>
    v === undefined ? undefined : Number(v.replace(/[_,]/g, ""));
  const result = await generateC1z({
    path: resolve(values.out),
    totalGrants: num(values.grants),
    users: num(values.users),
    groups: num(values.groups),
    roles: num(values.roles),
    level: num(values.level),
    contentSize: values["content-size"] ?? false,
    slimGrants: values["slim-grants"] ?? false,
    schema: values.legacy ? "legacy" : "current",
    tmpDir: values["tmp-dir"],
  });
  const c = result.counts;
  const t = result.timings;
  console.log(`wrote ${result.path} (sync ${result.syncId})`);
  console.log(
    `  rows: ${fmt(c.resourceTypes)} resource types, ${fmt(c.resources)} resources, ` +
      `${fmt(c.entitlements)} entitlements, ${fmt(c.grants)} grants`,
  );
  console.log(
    `  sizes: sqlite ${mib(result.dbBytes)} (${fmt(result.dbBytes)} B), ` +
      `c1z ${mib(result.c1zBytes)} (${fmt(result.c1zBytes)} B, ` +
      `${(result.dbBytes / result.c1zBytes).toFixed(1)}x)`,
  );
  console.log(
    `  time: rows ${secs(t.rowsMs)}, grants indexes ${secs(t.indexMs)}, ` +
      `zstd ${secs(t.compressMs)}, total ${secs(t.totalMs)}`,
  );
  console.log(`  file check: ${fmt(statSync(result.path).size)} B on disk`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
