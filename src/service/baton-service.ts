// c1.connectorapi.baton.v1.BatonService: what a baton connector in service mode dials into
// (shared/reference/baton.md §2). It authenticates with a `connector` credential bound to one
// `baton-service` connector (from RotateCredential) and only ever sees that connector's work.
//
// The connector's process is one more runner of the same queue a local worker takes from: GetTask
// claims through the same claim functions (engine/queue.ts, engine/provisioning.ts) under the
// lease owner "service:<connector id>"; Heartbeat renews the lease and answers `cancelled` when the
// sync is no longer the connector's to run; UploadAsset streams the c1z to disk, SHA-256 checked
// and size-bounded; FinishTask records the outcome through the same recorders (engine/apply.ts,
// engine/ingest.ts). A lease that runs out (the process died) is taken back by the workers'
// recovery like any other: a sync is retried, a grant or revoke FAILED as outcome unknown.

import { createHash, randomBytes } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { durationFromMs, type Any } from "@bufbuild/protobuf/wkt";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  type HandlerContext,
  type Interceptor,
} from "@connectrpc/connect";
import { AppError } from "../domain/errors.js";
import type { Logger } from "pino";
import type { Runtime } from "../commands/context.js";
import { c1zSnapshot } from "../connectors/baton/one-shot.js";
import { syncTimeoutMs } from "../connectors/registry.js";
import { ConnectorError } from "../connectors/runner.js";
import type { TokenService } from "../auth/tokens.js";
import { isServiceCatalog } from "../domain/catalog.js";
import { hasHold } from "../domain/holds.js";
import type { ConnectorRecord } from "../domain/model.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "../domain/retry.js";
import type { Artifacts } from "../artifacts/artifacts.js";
import { recordFailure, type SyncEnd } from "../engine/apply.js";
import { discardInventory, ingestSnapshot, settleRun } from "../engine/ingest.js";
import {
  claimNextTask,
  recordTaskOutcome,
  renewTaskLease,
  type ClaimedTask,
} from "../engine/provisioning.js";
import { claimNextSync, renewSyncLease, type ClaimedSync } from "../engine/queue.js";
import {
  BatonService,
  FinishTaskResponseSchema,
  GetTaskResponseSchema,
  GetTasksResponseSchema,
  HeartbeatResponseSchema,
  HelloResponseSchema,
  TaskSchema,
  Task_GrantTaskSchema,
  Task_RevokeTaskSchema,
  Task_SyncFullTaskSchema,
  Task_Status,
  UploadAssetResponseSchema,
  type FinishTaskRequest,
  type HelloRequest,
  type Task,
  type UploadAssetRequest,
} from "../gen/c1/connectorapi/baton/v1/baton_pb.js";
import { decodeCapabilities } from "./capabilities.js";
import { outcomeNote, readTaskObjects } from "./task-objects.js";

export const SERVICE_PATH_PREFIX = `/${BatonService.typeName}/`;

export interface BatonServiceOptions {
  readonly runtime: Runtime;
  readonly tokens: TokenService;
  readonly artifacts: Artifacts;
  /**
   * Where uploads are written while they arrive, and applied c1z files are copied to be read
   * (on disk artifacts: the same file system, so that keeping an upload is a rename).
   */
  readonly uploadDir: string;
  readonly logger: Logger;
  /** How long a connector waits between polls (GetTask's next_poll; default 5 s). */
  readonly pollMs?: number;
  /** How often a running sync heartbeats (next_heartbeat; default 10 s); its lease is 3×. */
  readonly heartbeatMs?: number;
  /** How long a grant or revoke may take before it is FAILED as outcome unknown (10 min). */
  readonly taskTimeoutMs?: number;
  /** The largest c1z a connector may upload (default 10 GiB). */
  readonly maxUploadBytes?: number;
  readonly retryPolicy?: RetryPolicy;
}

export const DEFAULT_POLL_MS = 5_000;
export const DEFAULT_HEARTBEAT_MS = 10_000;
const DEFAULT_TASK_TIMEOUT_MS = 10 * 60 * 1000;
const DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 ** 3;
/** A connector's last-call time is written at most this often (every poll would be a write). */
const PRESENCE_WRITE_MS = 2_000;
const V1_MAGIC = "C1ZF\0";
const V3_MAGIC = "C1Z3\0";

/** The lease owner of whatever a service-mode connector runs. */
export const serviceOwner = (connectorId: string) => `service:${connectorId}`;

interface Caller {
  readonly connector: ConnectorRecord;
  readonly hostId: string;
}

export class BatonServiceHandlers {
  private readonly pollMs: number;
  private readonly heartbeatMs: number;
  private readonly leaseMs: number;
  private readonly taskTimeoutMs: number;
  private readonly maxUploadBytes: number;
  private readonly retryPolicy: RetryPolicy;
  private readonly lastPresenceWrite = new Map<string, number>();
  /** Ingests running in the background after a FinishTask(success), by sync id. */
  private readonly ingests = new Map<string, Promise<void>>();

  constructor(private readonly options: BatonServiceOptions) {
    this.pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.leaseMs = 3 * this.heartbeatMs;
    this.taskTimeoutMs = options.taskTimeoutMs ?? DEFAULT_TASK_TIMEOUT_MS;
    this.maxUploadBytes = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
    this.retryPolicy = options.retryPolicy ?? DEFAULT_RETRY_POLICY;
  }

  routes = (router: ConnectRouter): void => {
    router.service(BatonService, {
      hello: (request, context) => this.hello(request, context),
      getTask: async (request, context) => {
        const caller = await this.caller(context, request.hostId);
        const task = await this.nextTask(caller);
        return create(GetTaskResponseSchema, {
          task,
          nextPoll: durationFromMs(this.pollMs),
          nextHeartbeat: durationFromMs(this.heartbeatMs),
        });
      },
      getTasks: async (request, context) => {
        const caller = await this.caller(context, request.hostId);
        // One connector runs one sync and one provisioning task at a time: a page holds at most
        // one task. Only QUEUED work is claimed, so nothing the client already knows is resent.
        const task = await this.nextTask(caller);
        return create(GetTasksResponseSchema, {
          tasks: task ? [task] : [],
          nextPoll: durationFromMs(this.pollMs),
          nextHeartbeat: durationFromMs(this.heartbeatMs),
        });
      },
      heartbeat: async (request, context) => {
        const caller = await this.caller(context, request.hostId);
        const cancelled = !(await this.renew(caller, request.taskId));
        return create(HeartbeatResponseSchema, {
          nextHeartbeat: durationFromMs(this.heartbeatMs),
          cancelled,
        });
      },
      finishTask: async (request, context) => {
        const caller = await this.caller(context, request.hostId);
        await this.finish(caller, request);
        return create(FinishTaskResponseSchema, {});
      },
      uploadAsset: async (requests, context) => {
        await this.upload(requests, context);
        return create(UploadAssetResponseSchema, {});
      },
    });
  };

  /** Waits for background ingests (shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.ingests.values()]);
  }

  // ---- who is calling ----

  private async caller(context: HandlerContext, hostId: string): Promise<Caller> {
    const header = context.requestHeader.get("authorization") ?? "";
    const match = /^Bearer\s+(\S*)$/i.exec(header.trim());
    if (!match) {
      throw new ConnectError(
        "missing bearer token: send the access token from /auth/v1/token as authorization: Bearer <token>",
        Code.Unauthenticated,
      );
    }
    if (!match[1]) throw new ConnectError("the bearer token is empty", Code.Unauthenticated);
    const principal = await this.options.tokens.authenticate(match[1]);
    if (!principal) {
      throw new ConnectError(
        "the access token is unknown, expired or revoked; get a new one from /auth/v1/token",
        Code.Unauthenticated,
      );
    }
    if (principal.role !== "connector" || !principal.connectorId) {
      throw new ConnectError(
        `role "${principal.role}" may not use BatonService; use the connector's own credential (RotateCredential)`,
        Code.PermissionDenied,
      );
    }
    const connector = await this.options.runtime.store.findConnector(principal.connectorId);
    if (!connector) {
      throw new ConnectError(
        `connector "${principal.connectorId}" of this credential no longer exists`,
        Code.PermissionDenied,
      );
    }
    if (!isServiceCatalog(connector.catalogId)) {
      throw new ConnectError(
        `connector "${connector.id}" is a "${connector.catalogId}" connector, run by syncplane; only "baton-service" connectors dial in`,
        Code.FailedPrecondition,
      );
    }
    await this.touch(connector.id, hostId);
    return { connector, hostId };
  }

  private async touch(connectorId: string, hostId: string): Promise<void> {
    const { store, clock } = this.options.runtime;
    const now = clock.now();
    if (now - (this.lastPresenceWrite.get(connectorId) ?? 0) < PRESENCE_WRITE_MS) return;
    this.lastPresenceWrite.set(connectorId, now);
    await store.transaction((tx) =>
      tx.touchPresence(connectorId, hostId.slice(0, 256), now, this.pollMs),
    );
  }

  private async hello(request: HelloRequest, context: HandlerContext) {
    const caller = await this.caller(context, request.hostId);
    const { store, clock } = this.options.runtime;
    const now = clock.now();
    const build = request.buildInfo;
    const sdk = build
      ? `${build.package} ${build.packageVersion}${build.langVersion ? ` (${build.langVersion})` : ""}`.trim()
      : "";
    await store.transaction((tx) =>
      tx.recordHello({
        connectorId: caller.connector.id,
        hostId: request.hostId.slice(0, 256),
        sdk: sdk.slice(0, 256),
        capabilities: decodeCapabilities(request.connectorMetadata),
        helloAt: now,
        lastSeenAt: now,
        pollMs: this.pollMs,
      }),
    );
    this.lastPresenceWrite.set(caller.connector.id, now);
    return create(HelloResponseSchema, {});
  }

  // ---- handing out work ----

  /** The connector's next task: a released grant or revoke first, then a sync; none while paused. */
  private async nextTask(caller: Caller): Promise<Task | undefined> {
    const { runtime } = this.options;
    const { connector } = caller;
    if (hasHold(await runtime.store.listHolds(connector.id), "PAUSED")) return undefined;
    const owner = serviceOwner(connector.id);
    for (;;) {
      const claimed = await claimNextTask(runtime, owner, this.taskTimeoutMs, connector.id);
      if (!claimed) break;
      const task = await this.provisioningTask(claimed);
      if (task) return task;
      // The task could not be built (its objects are gone); it was FAILED: try the next one.
    }
    const sync = await claimNextSync(runtime, owner, this.leaseMs, connector.id);
    if (!sync) return undefined;
    // A retried sync starts clean: an earlier attempt may have stored part of its data, or left
    // an upload that must not stand in for this attempt's.
    if (sync.sync.attempt > 1) {
      await discardInventory(runtime, sync.sync.id);
      await this.dropUpload(connector.id, sync.sync.id);
    }
    this.options.logger.info(
      { syncId: sync.sync.id, connectorId: connector.id, hostId: caller.hostId },
      `sync ${sync.sync.id} handed to the connector's process (attempt ${sync.sync.attempt})`,
    );
    return create(TaskSchema, {
      id: sync.sync.id,
      status: Task_Status.PENDING,
      taskType: {
        case: "syncFull",
        value: create(Task_SyncFullTaskSchema, {
          storageEngine: "sqlite",
          syncResourceTypeIds: [...connector.syncResourceTypeIds],
        }),
      },
    });
  }

  private async provisioningTask(claimed: ClaimedTask): Promise<Task | null> {
    const { task, connector } = claimed;
    const { artifacts, uploadDir } = this.options;
    const applied = connector.appliedSyncId;
    const copy = join(uploadDir, `${task.id}.${randomBytes(4).toString("hex")}.applied.c1z`);
    try {
      await mkdir(uploadDir, { recursive: true, mode: 0o700 });
      if (!applied || !(await artifacts.copyTo(connector.id, applied, "c1z", copy))) {
        throw ConnectorError.fatal(
          "the applied sync's c1z is not kept, and the task must carry the connector's own objects from it; sync again and retry",
        );
      }
      const objects = await readTaskObjects(copy, uploadDir, task);
      return create(TaskSchema, {
        id: task.id,
        status: Task_Status.PENDING,
        taskType:
          objects.kind === "GRANT"
            ? {
                case: "grant",
                value: create(Task_GrantTaskSchema, {
                  entitlement: objects.entitlement,
                  principal: objects.principal,
                }),
              }
            : { case: "revoke", value: create(Task_RevokeTaskSchema, { grant: objects.grant }) },
      });
    } catch (error) {
      await recordTaskOutcome(this.options.runtime, claimed, serviceOwner(connector.id), {
        state: "FAILED",
        error: `the task could not be sent to the connector: ${(error as Error).message}`,
      });
      return null;
    } finally {
      await rm(copy, { force: true });
    }
  }

  // ---- running work ----

  /** Renews the lease of a task the connector runs; false: it is no longer its to run. */
  private async renew(caller: Caller, taskId: string): Promise<boolean> {
    const { runtime } = this.options;
    const owner = serviceOwner(caller.connector.id);
    const sync = await runtime.store.getSync(caller.connector.id, taskId);
    if (sync) {
      if (sync.state !== "RUNNING" || sync.leaseOwner !== owner) return false;
      if (this.ingests.has(sync.id)) return true; // its c1z is being read; nothing to stop
      const claimed = { sync, connector: caller.connector, leaseUntil: 0 };
      const limit = syncTimeoutMs(caller.connector);
      if (sync.startedAt !== null && runtime.clock.now() - sync.startedAt > limit) {
        await this.failSync(
          claimed,
          ConnectorError.retryable(
            `the sync ran longer than its ${Math.round(limit / 1000)} s timeout`,
          ),
        );
        return false;
      }
      return renewSyncLease(runtime, claimed, owner, this.leaseMs, {
        phase: "CONNECTOR",
        message: "the connector is syncing (it reports in while it works)",
      });
    }
    const task = await runtime.store.getProvisioningTask(caller.connector.id, taskId);
    if (task) {
      if (task.state !== "RUNNING" || task.leaseOwner !== owner) return false;
      return renewTaskLease(runtime, task, owner, this.taskTimeoutMs);
    }
    throw notYours(taskId);
  }

  private async finish(caller: Caller, request: FinishTaskRequest): Promise<void> {
    const { runtime, logger } = this.options;
    const owner = serviceOwner(caller.connector.id);
    const sync = await runtime.store.getSync(caller.connector.id, request.taskId);
    if (sync) {
      // Not (or no longer) the connector's: a late answer after its lease ran out, or a repeat.
      if (sync.state !== "RUNNING" || sync.leaseOwner !== owner || this.ingests.has(sync.id))
        return;
      const claimed: ClaimedSync = { sync, connector: caller.connector, leaseUntil: 0 };
      if (request.finalState.case === "success") {
        const { upload, shared } = await this.localUpload(caller.connector.id, sync.id);
        const size = await stat(upload).then(
          (info) => info.size,
          () => -1,
        );
        if (size < 0) {
          await this.failSync(
            claimed,
            ConnectorError.retryable("the connector finished the sync without uploading its c1z"),
          );
          return;
        }
        // Read in the background: a large c1z takes longer than the connector waits for an answer.
        // The lease is renewed meanwhile; if this process dies, the lease runs out and the sync is
        // retried.
        const ingest = this.ingest(claimed, upload, size, shared)
          .catch((error: unknown) => logger.error({ err: error, syncId: sync.id }, "ingest failed"))
          .finally(() => this.ingests.delete(sync.id));
        this.ingests.set(sync.id, ingest);
        return;
      }
      const status = request.status;
      const message = status?.message || "the connector reported a failure without a message";
      const retryable = !(
        request.finalState.case === "error" && request.finalState.value.nonRetryable
      );
      await this.failSync(
        claimed,
        new ConnectorError(`the connector failed the sync: ${message}`, retryable),
      );
      return;
    }
    const task = await runtime.store.getProvisioningTask(caller.connector.id, request.taskId);
    if (!task) throw notYours(request.taskId);
    if (task.state !== "RUNNING" || task.leaseOwner !== owner) return;
    const claimed: ClaimedTask = { task, connector: caller.connector, leaseUntil: 0 };
    if (request.finalState.case === "success") {
      const success = request.finalState.value;
      const urls = [
        ...success.annotations.map((any) => any.typeUrl),
        ...responseAnnotations(success.response),
      ];
      await recordTaskOutcome(runtime, claimed, owner, {
        state: "SUCCEEDED",
        result: outcomeNote(urls),
      });
    } else {
      const status = request.status;
      const details = status?.details.length ? ` (${status.details.length} details)` : "";
      await recordTaskOutcome(runtime, claimed, owner, {
        state: "FAILED",
        error: `the connector refused or failed: ${status?.message || "no message"}${details}`,
      });
    }
  }

  private async failSync(claimed: ClaimedSync, failure: ConnectorError): Promise<SyncEnd> {
    const { runtime, artifacts } = this.options;
    const end = await recordFailure(
      runtime,
      claimed,
      serviceOwner(claimed.connector.id),
      failure,
      this.retryPolicy,
      Math.random(),
    );
    await this.dropUpload(claimed.connector.id, claimed.sync.id);
    await settleRun(runtime, claimed, end, false, artifacts);
    return end;
  }

  /**
   * The sync's upload as a local file to read: on disk, where UploadAsset put it; with shared
   * artifacts, a copy taken from the database (the upload may have reached another node), which
   * is already kept as the sync's c1z.
   */
  private async localUpload(
    connectorId: string,
    syncId: string,
  ): Promise<{ upload: string; shared: boolean }> {
    const local = this.uploadPath(syncId);
    if (!this.sharedUploads) return { upload: local, shared: false };
    const copy = join(this.options.uploadDir, `${syncId}.${randomBytes(4).toString("hex")}.c1z`);
    await mkdir(this.options.uploadDir, { recursive: true, mode: 0o700 });
    const found = await this.options.artifacts.copyTo(connectorId, syncId, "c1z", copy);
    return { upload: found ? copy : local, shared: found };
  }

  private async ingest(
    claimed: ClaimedSync,
    upload: string,
    size: number,
    alreadyKept: boolean,
  ): Promise<void> {
    const { runtime, artifacts, logger } = this.options;
    const owner = serviceOwner(claimed.connector.id);
    const stage = { phase: "STORING" as const, message: "storing and checking the uploaded data" };
    const renewNow = () =>
      renewSyncLease(runtime, claimed, owner, this.leaseMs, stage).catch((error: unknown) =>
        logger.error({ err: error }, "lease renewal failed"),
      );
    void renewNow();
    const renew = setInterval(renewNow, this.heartbeatMs);
    let end: SyncEnd = { state: "LOST" };
    let kept = false;
    try {
      const dbPath = join(
        this.options.uploadDir,
        `${claimed.sync.id}.${randomBytes(4).toString("hex")}.sqlite`,
      );
      const snapshot = await c1zSnapshot(upload, dbPath, size, () => rm(upload, { force: true }));
      ({ end, kept } = await ingestSnapshot(runtime, claimed, owner, snapshot, artifacts, {
        alreadyKept,
      }));
    } catch (error) {
      const failure =
        error instanceof ConnectorError
          ? error
          : ConnectorError.retryable(
              `the sync's c1z could not be read: ${(error as Error).message}`,
            );
      end = await recordFailure(runtime, claimed, owner, failure, this.retryPolicy, Math.random());
      await rm(upload, { force: true });
      if (alreadyKept) kept = true; // settleRun gives up the stored upload of a failed attempt
    } finally {
      clearInterval(renew);
    }
    logger.info(
      { syncId: claimed.sync.id, connectorId: claimed.connector.id, end },
      `sync ${claimed.sync.id} ended ${end.state}`,
    );
    await settleRun(runtime, claimed, end, kept, artifacts);
  }

  // ---- uploads ----

  private uploadPath(syncId: string): string {
    return join(this.options.uploadDir, `${syncId}.c1z`);
  }

  /** Uploads are kept where every node sees them (shared artifacts), not in the upload dir. */
  private get sharedUploads(): boolean {
    return this.options.artifacts.backend !== "disk";
  }

  /** Drops a sync's upload, wherever it is kept. */
  private async dropUpload(connectorId: string, syncId: string): Promise<void> {
    await rm(this.uploadPath(syncId), { force: true });
    if (this.sharedUploads) await this.options.artifacts.discard(connectorId, syncId, "c1z");
  }

  private async upload(
    requests: AsyncIterable<UploadAssetRequest>,
    context: HandlerContext,
  ): Promise<void> {
    let caller: Caller | null = null;
    let syncId = "";
    let part = "";
    let out: WriteStream | null = null;
    let bytes = 0;
    const hash = createHash("sha256");
    try {
      for await (const request of requests) {
        const msg = request.msg;
        if (msg.case === "metadata") {
          if (caller) throw new ConnectError("metadata sent twice", Code.InvalidArgument);
          caller = await this.caller(context, msg.value.hostId);
          syncId = await this.uploadTarget(caller, msg.value.taskId);
          await mkdir(this.options.uploadDir, { recursive: true, mode: 0o700 });
          part = join(this.options.uploadDir, `${syncId}.${randomBytes(6).toString("hex")}.part`);
          out = createWriteStream(part, { mode: 0o600 });
        } else if (msg.case === "data") {
          if (!out) throw new ConnectError("data before metadata", Code.InvalidArgument);
          bytes += msg.value.data.length;
          if (bytes > this.maxUploadBytes) {
            throw new ConnectError(
              `the upload is larger than ${this.maxUploadBytes} bytes`,
              Code.ResourceExhausted,
            );
          }
          hash.update(msg.value.data);
          if (!out.write(msg.value.data))
            await new Promise<void>((resolve) => out?.once("drain", () => resolve()));
        } else if (msg.case === "eof") {
          if (!out || !caller) throw new ConnectError("eof before metadata", Code.InvalidArgument);
          await new Promise<void>((resolve, reject) => {
            out?.once("error", reject);
            out?.end(resolve);
          });
          out = null;
          const sum = hash.digest();
          if (!sum.equals(Buffer.from(msg.value.sha256Checksum))) {
            throw new ConnectError(
              "the upload's SHA-256 does not match its eof checksum; upload it again",
              Code.DataLoss,
            );
          }
          await this.keepUpload(caller, syncId, part);
          part = "";
          return;
        }
      }
      throw new ConnectError("the upload ended without eof", Code.InvalidArgument);
    } finally {
      out?.destroy();
      if (part) await rm(part, { force: true });
    }
  }

  /** The sync an upload belongs to: a RUNNING sync of the caller's, handed to its process. */
  private async uploadTarget(caller: Caller, taskId: string): Promise<string> {
    const sync = await this.options.runtime.store.getSync(caller.connector.id, taskId);
    if (!sync) {
      if (await this.options.runtime.store.getProvisioningTask(caller.connector.id, taskId)) {
        throw new ConnectError("grant and revoke tasks upload nothing", Code.FailedPrecondition);
      }
      throw notYours(taskId);
    }
    if (sync.state !== "RUNNING" || sync.leaseOwner !== serviceOwner(caller.connector.id)) {
      throw new ConnectError(
        `sync "${taskId}" is ${sync.state === "RUNNING" ? "no longer this process's to run" : sync.state}; its upload is not needed`,
        Code.FailedPrecondition,
      );
    }
    return sync.id;
  }

  /**
   * A c1z becomes the sync's upload; anything else (a debug log) is not kept. With shared
   * artifacts (PostgreSQL) the upload goes straight into the database as the sync's c1z, so that
   * the FinishTask that follows may reach any node; on disk it waits in this node's upload dir.
   */
  private async keepUpload(caller: Caller, syncId: string, part: string): Promise<void> {
    const handle = await open(part, "r");
    const head = Buffer.alloc(5);
    try {
      await handle.read(head, 0, 5, 0);
    } finally {
      await handle.close();
    }
    const magic = head.toString("latin1");
    if (magic === V1_MAGIC || magic === V3_MAGIC) {
      if (this.sharedUploads)
        await this.options.artifacts.keepC1z(caller.connector.id, syncId, part);
      else await rename(part, this.uploadPath(syncId));
    } else {
      this.options.logger.info({ syncId }, "an upload that is not a c1z (a debug log) was dropped");
      await rm(part, { force: true });
    }
  }
}

/**
 * The gRPC status for an error a handler did not turn into one itself: an AppError keeps its
 * code (the numbers are gRPC's) with its public message (a store that lost its database answers
 * UNAVAILABLE without naming its address); anything else is INTERNAL, without its internals.
 */
export const grpcErrors =
  (logger: Logger): Interceptor =>
  (next) =>
  async (request) => {
    try {
      return await next(request);
    } catch (error) {
      if (error instanceof ConnectError) throw error;
      logger.error({ err: error, method: request.method.name }, "BatonService call failed");
      if (error instanceof AppError) {
        throw new ConnectError(
          error.publicMessage,
          error.code as Code,
          undefined,
          undefined,
          error,
        );
      }
      throw new ConnectError(
        "internal error; the server's log has the details",
        Code.Internal,
        undefined,
        undefined,
        error,
      );
    }
  };

function notYours(taskId: string): ConnectError {
  return new ConnectError(
    `task "${taskId.slice(0, 64)}" is not a task of this connector`,
    Code.PermissionDenied,
  );
}

/** The annotations (field 1) of a GrantManagerService Grant/Revoke response packed in an Any. */
function responseAnnotations(response: Any | undefined): string[] {
  if (!response) return [];
  const urls: string[] = [];
  try {
    const reader = new BinaryReader(response.value);
    while (reader.pos < reader.len) {
      const [field, wireType] = reader.tag();
      if (field === 1 && wireType === WireType.LengthDelimited) {
        const any = new BinaryReader(reader.bytes());
        while (any.pos < any.len) {
          const [f, w] = any.tag();
          if (f === 1 && w === WireType.LengthDelimited) urls.push(any.string());
          else any.skip(w, f);
        }
      } else reader.skip(wireType, field);
    }
  } catch {
    // a response we cannot read says nothing more
  }
  return urls;
}
