// Reading a baton `.c1z` sync file (shared/reference/baton.md §1.3–1.6).
//
// A v1 file is the 5 bytes "C1ZF\0" and then one zstd frame holding a SQLite database. The frame
// is decompressed as a stream into a temporary file (memory stays bounded by the zstd window, and
// the decoded size by a limit), the database is opened read-only, and the last finished full sync
// run in it is read: resource types (with their traits and the SkipSyncAnomalyDetection
// annotation), resources, entitlements and grants, in batches. Ids come from the row columns —
// the SDK's source of truth, also for "slim" grants that carry no embedded objects — and display
// names from the protobuf `data` blobs.
//
// v3 files ("C1Z3\0", a Pebble store) and damaged files fail with an error that says what to do.

import { createReadStream } from "node:fs";
import { closeSync, openSync, readSync, writeSync } from "node:fs";
import { open, rm } from "node:fs/promises";
import Database from "better-sqlite3";
import { Decompress } from "fzstd";
import type { SyncCounts } from "../../domain/model.js";
import type {
  EntitlementRecord,
  GrantRecord,
  ResourceRecord,
  ResourceTypeRecord,
} from "../../domain/inventory.js";
import type { GrantOrder } from "../runner.js";
import { decodeNames, decodeResourceType } from "./messages.js";

export const C1Z_V1_MAGIC = Buffer.from("C1ZF\0", "latin1");
export const C1Z_V3_MAGIC = Buffer.from("C1Z3\0", "latin1");

export interface C1zLimits {
  /** The largest database a c1z may decompress to (default 10 GiB, as baton's own decoder). */
  readonly maxDecodedBytes: number;
  /** The largest zstd window accepted: the memory the decoder needs (default 128 MiB). */
  readonly maxWindowBytes: number;
}

export const DEFAULT_C1Z_LIMITS: C1zLimits = {
  maxDecodedBytes: 10 * 1024 ** 3,
  maxWindowBytes: 128 * 1024 ** 2,
};

/** A c1z that cannot be read, with a message that says why and what to do. */
export class C1zError extends Error {
  constructor(
    message: string,
    /** A problem of this server (disk full), not of the file: trying again may work. */
    readonly retryable = false,
  ) {
    super(message);
    this.name = "C1zError";
  }
}

// Compressed bytes per decoder push: each push decodes synchronously (~16x its size), so small
// pushes keep the event loop responsive while a big c1z is decoded.
const READ_CHUNK = 256 << 10;
const WRITE_BUFFER = 4 << 20;
/** The native decoder's output buffer: each call fills at most this much. */
const NATIVE_OUT = 4 << 20;
/** Compressed bytes per read for the native decoder (~15 ms of decoding, ~1 GB/s). */
const NATIVE_READ_CHUNK = 1 << 20;
export const READ_BATCH = 2000;

/** Decompresses the c1z at `path` into the SQLite file `dbPath`; returns its size. */
export async function decompressC1z(
  path: string,
  dbPath: string,
  limits: C1zLimits = DEFAULT_C1Z_LIMITS,
): Promise<number> {
  await checkMagic(path);
  const out = openSync(dbPath, "wx+", 0o600);
  let written = 0;
  const sink = (chunk: Uint8Array) => {
    written += chunk.length;
    if (written > limits.maxDecodedBytes) {
      throw new C1zError(
        `the c1z decompresses to more than ${formatBytes(limits.maxDecodedBytes)}, the limit; raise it if the connector's data really is that large`,
      );
    }
    for (let offset = 0; offset < chunk.length;)
      offset += writeSync(out, chunk, offset, chunk.length - offset);
  };
  try {
    const native = decoderChoice === "native" ? await nativeZstd() : null;
    const ended = native
      ? await decodeNative(native, path, sink, limits)
      : await decodeJs(path, sink, limits);
    if (ended === "empty") throw new C1zError("the c1z holds no data after its 5-byte header");
    if (ended === "truncated") {
      throw new C1zError("the c1z's zstd stream ends early (the file is truncated)");
    }
    // A database saved in WAL mode would need a -shm file to open read-only; this private copy
    // has no WAL to replay, so it is marked a rollback-journal database (header bytes 18–19).
    const header = Buffer.alloc(2);
    readSync(out, header, 0, 2, 18);
    if (header[0] === 2 && header[1] === 2) writeSync(out, Buffer.from([1, 1]), 0, 2, 18);
  } catch (error) {
    if (error instanceof C1zError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code === "string" && !code.startsWith("ZSTD")) {
      throw new C1zError(
        `cannot write the decompressed c1z to ${dbPath}: ${code}${code === "ENOSPC" ? " (the disk is full; free space in the data dir)" : ""}`,
        true,
      );
    }
    throw new C1zError(
      `the c1z is damaged: its zstd data cannot be decoded (${(error as Error).message}); run the sync again`,
    );
  } finally {
    closeSync(out);
  }
  return written;
}

type Ending = "complete" | "truncated" | "empty";

let decoderChoice: "native" | "js" = "native";
/** The zstd decoder that reads c1z files here: "native" when zstd-napi is installed. */
export async function zstdDecoder(): Promise<"native" | "js"> {
  return decoderChoice === "native" && (await nativeZstd()) ? "native" : "js";
}
/** Which zstd decoder reads c1z files ("native" falls back to "js" when it is not installed). */
export function useZstdDecoder(kind: "native" | "js"): void {
  decoderChoice = kind;
}

/**
 * The native zstd decoder: zstd-napi's low-level binding, an optional dependency (it compiles
 * libzstd at install; where that fails npm leaves it out and fzstd decodes). Typed here, and
 * imported by a specifier TypeScript does not resolve, so that building never needs it.
 */
interface Native {
  readonly DCtx: new () => {
    /** ZSTD_decompressStream: [what the frame still needs, bytes written, bytes consumed]. */
    decompressStream(dst: Uint8Array, src: Uint8Array): [number, number, number];
  };
}
const NATIVE_MODULE: string = "zstd-napi/binding.js";
let native: Promise<Native | null> | undefined;
const nativeZstd = (): Promise<Native | null> =>
  (native ??= (import(NATIVE_MODULE) as Promise<{ default?: Native } & Native>).then(
    (module) => module.default ?? module,
    () => null,
  ));

/**
 * Decodes with libzstd (zstd-napi): ~3x the JavaScript decoder. One input chunk at a time from
 * an async read, so the event loop gets turns between chunks.
 */
async function decodeNative(
  zstd: Native,
  path: string,
  sink: (chunk: Uint8Array) => void,
  limits: C1zLimits,
): Promise<Ending> {
  const file = await open(path, "r");
  try {
    const dctx = new zstd.DCtx();
    const input = Buffer.allocUnsafe(NATIVE_READ_CHUNK);
    const output = Buffer.allocUnsafe(NATIVE_OUT);
    let position = C1Z_V1_MAGIC.length;
    let left = 1; // what the frame still needs: 0 once it is complete
    let read = 0;
    for (;;) {
      const { bytesRead } = await file.read(input, 0, input.length, position);
      if (bytesRead === 0) break;
      if (read === 0) checkFrameHeader(input.subarray(0, bytesRead), limits);
      position += bytesRead;
      read += bytesRead;
      let src = input.subarray(0, bytesRead);
      for (;;) {
        const [remaining, produced, consumed] = dctx.decompressStream(output, src);
        left = remaining;
        src = src.subarray(consumed);
        if (produced > 0) sink(output.subarray(0, produced));
        // Done with this chunk when it is used up and the output was not filled (nothing more
        // is waiting to be flushed).
        if (src.length === 0 && produced < output.length) break;
      }
    }
    if (read === 0) return "empty";
    return left === 0 ? "complete" : "truncated";
  } finally {
    await file.close();
  }
}

/** Decodes with fzstd, in JavaScript (when the native decoder is not installed). */
async function decodeJs(
  path: string,
  sink: (chunk: Uint8Array) => void,
  limits: C1zLimits,
): Promise<Ending> {
  let pending = Buffer.allocUnsafe(WRITE_BUFFER);
  let used = 0;
  let ended = false;
  const flush = () => {
    if (used > 0) sink(pending.subarray(0, used));
    used = 0;
  };
  const decoder = new Decompress((chunk, final) => {
    if (chunk.length > WRITE_BUFFER - used) flush();
    if (chunk.length > WRITE_BUFFER) sink(chunk);
    else {
      pending.set(chunk, used);
      used += chunk.length;
    }
    if (final) ended = true;
  });
  let headerChecked = false;
  try {
    const stream = createReadStream(path, {
      start: C1Z_V1_MAGIC.length,
      highWaterMark: READ_CHUNK,
    });
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (!headerChecked) {
        checkFrameHeader(chunk, limits);
        headerChecked = true;
      }
      decoder.push(chunk);
    }
    if (!headerChecked) return "empty";
    decoder.push(new Uint8Array(0), true);
    flush();
    return ended ? "complete" : "truncated";
  } finally {
    pending = Buffer.alloc(0);
  }
}

async function checkMagic(path: string): Promise<void> {
  const file = await open(path, "r").catch((error: NodeJS.ErrnoException) => {
    throw new C1zError(
      error.code === "ENOENT" ? `no c1z file at ${path}` : `cannot read ${path}: ${error.code}`,
    );
  });
  try {
    const head = Buffer.alloc(5);
    const { bytesRead } = await file.read(head, 0, 5, 0);
    if (bytesRead === 5 && head.equals(C1Z_V1_MAGIC)) return;
    if (bytesRead === 5 && head.equals(C1Z_V3_MAGIC)) {
      throw new C1zError(
        "the c1z is in baton's v3 (Pebble) format, which syncplane cannot read; run the connector with BATON_STORAGE_ENGINE=sqlite (syncplane sets it; the connector ignored it or was given --storage-engine pebble)",
      );
    }
    throw new C1zError(
      `not a c1z file: it starts with ${JSON.stringify(head.subarray(0, bytesRead).toString("latin1"))}, not "C1ZF\\0"`,
    );
  } finally {
    await file.close();
  }
}

/** Refuses frames whose window would need more memory than allowed (RFC 8878 §3.1.1.1). */
function checkFrameHeader(chunk: Buffer, limits: C1zLimits): void {
  if (chunk.length < 6 || chunk.readUInt32LE(0) !== 0xfd2fb528) {
    throw new C1zError(
      "the c1z is damaged: its data is not a zstd frame (bad magic number); run the sync again",
    );
  }
  const descriptor = chunk.readUInt8(4);
  const singleSegment = (descriptor & 0x20) !== 0;
  let window: number;
  if (singleSegment) {
    // No window descriptor: the window is the frame content size that follows.
    const sizeBytes = [1, 2, 4, 8][descriptor >> 6] ?? 8;
    const at = 5 + ([0, 1, 2, 4][descriptor & 3] ?? 0);
    if (chunk.length < at + sizeBytes) return; // the decoder reports the short header
    window =
      sizeBytes === 1
        ? chunk.readUInt8(at)
        : sizeBytes === 2
          ? chunk.readUInt16LE(at) + 256
          : sizeBytes === 4
            ? chunk.readUInt32LE(at)
            : Number(chunk.readBigUInt64LE(at));
  } else {
    const wd = chunk.readUInt8(5);
    const base = 2 ** (10 + (wd >> 3));
    window = base + (base / 8) * (wd & 7);
  }
  if (window > limits.maxWindowBytes) {
    throw new C1zError(
      `the c1z's zstd window is ${formatBytes(window)}, more than the ${formatBytes(limits.maxWindowBytes)} syncplane allows a decoder`,
    );
  }
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

/** What the reader found in a c1z: the chosen sync run, its types and counts, and its rows. */
export interface C1zSync {
  readonly syncId: string;
  readonly syncType: string;
  readonly startedAt: string | null;
  readonly endedAt: string | null;
  readonly resourceTypes: readonly ResourceTypeRecord[];
  readonly counts: SyncCounts;
  resources(): AsyncIterable<readonly ResourceRecord[]>;
  entitlements(): AsyncIterable<readonly EntitlementRecord[]>;
  grants(order?: GrantOrder): AsyncIterable<readonly GrantRecord[]>;
  /**
   * The `data` bytes of one object of the chosen run as the connector wrote them (a
   * c1.connector.v2 Entitlement, Resource or Grant), by external id; null when there is none.
   * Resources are "<resource type>:<resource id>".
   */
  rawData(kind: "entitlement" | "resource" | "grant", externalId: string): Uint8Array | null;
  close(): void;
}

const RAW_TABLES = {
  entitlement: "v1_entitlements",
  resource: "v1_resources",
  grant: "v1_grants",
} as const;

const REQUIRED_TABLES = [
  "v1_sync_runs",
  "v1_resource_types",
  "v1_resources",
  "v1_entitlements",
  "v1_grants",
];

/** Opens a decompressed c1z database read-only and picks the sync run to read. */
export function openC1zDatabase(dbPath: string): C1zSync {
  let db: Database.Database | undefined;
  try {
    db = new Database(dbPath, { readonly: true, fileMustExist: true });
    db.pragma("query_only = ON");
    db.prepare("SELECT count(*) FROM sqlite_master").get();
  } catch (error) {
    db?.close();
    throw new C1zError(
      `the c1z does not hold a readable SQLite database (${(error as Error).message}); run the sync again`,
    );
  }
  try {
    return readRun(db);
  } catch (error) {
    db.close();
    if (error instanceof C1zError) throw error;
    throw new C1zError(
      `the c1z's database cannot be read (${(error as Error).message}); run the sync again`,
    );
  }
}

function readRun(db: Database.Database): C1zSync {
  const tables = new Set(
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[],
  );
  const missing = REQUIRED_TABLES.filter((name) => !tables.has(name));
  if (missing.length > 0) {
    throw new C1zError(`not a baton sync file: its database has no ${missing.join(", ")} table`);
  }
  const runColumns = new Set(
    db.prepare("SELECT name FROM pragma_table_info('v1_sync_runs')").pluck().all() as string[],
  );
  // Old files (baton-sdk before sync types) have no sync_type column: every run there is full.
  const hasType = runColumns.has("sync_type");
  const run = db
    .prepare(
      `SELECT sync_id AS syncId, ${hasType ? "sync_type" : "'full'"} AS syncType,
              started_at AS startedAt, ended_at AS endedAt
         FROM v1_sync_runs
        WHERE ended_at IS NOT NULL ${hasType ? "AND sync_type = 'full'" : ""}
        ORDER BY ended_at DESC, sync_id DESC LIMIT 1`,
    )
    .get() as
    | { syncId: string; syncType: string; startedAt: string | null; endedAt: string | null }
    | undefined;
  if (!run) {
    const runs = db.prepare("SELECT count(*) FROM v1_sync_runs").pluck().get() as number;
    throw new C1zError(
      runs === 0
        ? "the c1z holds no sync run: the connector wrote an empty file"
        : "the c1z holds no finished full sync: the connector stopped before its sync ended (see the sync's log)",
    );
  }
  const syncId = run.syncId;

  const resourceTypes: ResourceTypeRecord[] = [];
  for (const row of db
    .prepare("SELECT external_id AS id, data FROM v1_resource_types WHERE sync_id = ? ORDER BY id")
    .iterate(syncId) as IterableIterator<{ id: string; data: Buffer | null }>) {
    const decoded = row.data ? decodeResourceType(row.data) : null;
    resourceTypes.push({
      id: row.id,
      displayName: decoded?.displayName || row.id,
      traits: decoded?.traits ?? [],
      skipDataDropCheck: decoded?.skipAnomalyDetection ?? false,
    });
  }

  const countBy = (table: string) =>
    Object.fromEntries(
      (
        db
          .prepare(
            `SELECT resource_type_id AS type, count(*) AS n FROM ${table} WHERE sync_id = ? GROUP BY resource_type_id`,
          )
          .all(syncId) as { type: string; n: number }[]
      ).map((row) => [row.type, row.n]),
    ) as Record<string, number>;
  const sum = (counts: Record<string, number>) =>
    Object.values(counts).reduce((total, n) => total + n, 0);
  const entitlementsByResourceType = countBy("v1_entitlements");
  const grantsByResourceType = countGrantsByType(db, syncId) ?? countBy("v1_grants");
  const counts: SyncCounts = {
    resources: countBy("v1_resources"),
    entitlements: sum(entitlementsByResourceType),
    grants: sum(grantsByResourceType),
    entitlementsByResourceType,
    grantsByResourceType,
  };

  /** Rows mapped in batches; a row that cannot be read or decoded is a C1zError naming it. */
  async function* batches<Row, Out>(sql: string, map: (row: Row) => Out) {
    const table = /FROM (\w+)/.exec(sql)?.[1] ?? "a table";
    const rows = db.prepare(sql).iterate(syncId) as IterableIterator<Row>;
    let batch: Out[] = [];
    let read = 0;
    try {
      for (;;) {
        let next: IteratorResult<Row>;
        try {
          next = rows.next();
          if (!next.done) batch.push(map(next.value));
        } catch (error) {
          throw new C1zError(
            `row ${read + 1} of the c1z's ${table} cannot be read (${(error as Error).message}): the file is damaged or was not written by baton; run the sync again`,
          );
        }
        if (next.done) break;
        read++;
        if (batch.length >= READ_BATCH) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
    } finally {
      rows.return?.();
    }
  }

  return {
    ...run,
    resourceTypes,
    counts,
    resources: () =>
      batches(
        `SELECT resource_type_id AS type, external_id AS externalId,
                parent_resource_type_id AS parentType, parent_resource_id AS parentId, data
           FROM v1_resources WHERE sync_id = ?`,
        (row: {
          type: string;
          externalId: string;
          parentType: string | null;
          parentId: string | null;
          data: Buffer | null;
        }): ResourceRecord => {
          const id = row.externalId.startsWith(`${row.type}:`)
            ? row.externalId.slice(row.type.length + 1)
            : row.externalId;
          return {
            resourceTypeId: row.type,
            resourceId: id,
            displayName: (row.data ? decodeNames(row.data).displayName : "") || id,
            parent:
              row.parentType && row.parentId
                ? { resourceTypeId: row.parentType, resourceId: row.parentId }
                : null,
          };
        },
      ),
    entitlements: () =>
      batches(
        `SELECT external_id AS id, resource_type_id AS type, resource_id AS resourceId, data
           FROM v1_entitlements WHERE sync_id = ?`,
        (row: {
          id: string;
          type: string;
          resourceId: string;
          data: Buffer | null;
        }): EntitlementRecord => {
          const names = row.data ? decodeNames(row.data) : { displayName: "", slug: "" };
          const prefix = `${row.type}:${row.resourceId}:`;
          const slug = names.slug || (row.id.startsWith(prefix) ? row.id.slice(prefix.length) : "");
          return {
            id: row.id,
            resourceTypeId: row.type,
            resourceId: row.resourceId,
            slug,
            displayName: names.displayName || row.id,
          };
        },
      ),
    grants: (order?: GrantOrder) =>
      batches(
        `SELECT external_id AS id, entitlement_id AS entitlementId,
                principal_resource_type_id AS principalType, principal_resource_id AS principalId
           FROM v1_grants WHERE sync_id = ?
          ORDER BY ${order === "principal" ? "principal_resource_type_id, principal_resource_id, " : ""}external_id`,
        (row: {
          id: string;
          entitlementId: string;
          principalType: string;
          principalId: string;
        }): GrantRecord => ({
          id: row.id,
          entitlementId: row.entitlementId,
          principal: { resourceTypeId: row.principalType, resourceId: row.principalId },
        }),
      ),
    rawData: (kind, externalId) => {
      const data = db
        .prepare(`SELECT data FROM ${RAW_TABLES[kind]} WHERE sync_id = ? AND external_id = ?`)
        .pluck()
        .get(syncId, externalId) as Buffer | null | undefined;
      return data ? new Uint8Array(data) : null;
    },
    close: () => db.close(),
  };
}

/**
 * Grants per resource type (v1_grants.resource_type_id is the entitlement's) through two covering
 * indexes baton writes — the entitlements' type joined to the grants by entitlement — instead of
 * one look-up of each grant row: ~3x faster on large files. Null when an index is missing or a
 * grant's entitlement is not in the file (the counts would not add up); the caller then counts
 * the rows themselves.
 */
function countGrantsByType(db: Database.Database, syncId: string): Record<string, number> | null {
  try {
    const total = db
      .prepare(
        "SELECT count(*) FROM v1_grants INDEXED BY idx_grants_external_sync_v1 WHERE sync_id = ?",
      )
      .pluck()
      .get(syncId) as number;
    const rows = db
      .prepare(
        `SELECT e.resource_type_id AS type, count(*) AS n
           FROM v1_entitlements e
           JOIN v1_grants g INDEXED BY idx_grants_entitlement_sync_grant_v1
             ON g.entitlement_id = e.external_id AND g.sync_id = e.sync_id
          WHERE e.sync_id = ?
          GROUP BY e.resource_type_id`,
      )
      .all(syncId) as { type: string; n: number }[];
    if (rows.reduce((sum, row) => sum + row.n, 0) !== total) return null;
    return Object.fromEntries(rows.map((row) => [row.type, row.n]));
  } catch {
    return null; // an index this needs is not in the file
  }
}

/** Decompresses a c1z next to `workDir` and opens it; close() also deletes the database. */
export async function readC1z(
  path: string,
  dbPath: string,
  limits: C1zLimits = DEFAULT_C1Z_LIMITS,
): Promise<C1zSync> {
  try {
    await decompressC1z(path, dbPath, limits);
    const sync = openC1zDatabase(dbPath);
    return {
      ...sync,
      close: () => {
        sync.close();
        void rm(dbPath, { force: true });
      },
    };
  } catch (error) {
    await rm(dbPath, { force: true });
    throw error;
  }
}
