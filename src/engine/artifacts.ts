// What a sync leaves on disk besides its inventory: the connector's c1z file and its log, under
// <data-dir>/artifacts/<connector id>/<sync id>.{c1z,log}. Sync ids are KSUIDs, so names sort by
// time. Retention keeps the newest N syncs' files per connector, and always those of the applied
// sync and of syncs held in ERRORED_NO_DATA (someone has to decide about them). Provisioning
// tasks leave a log each, under <connector id>/tasks/<task id>.log; the newest
// TASK_LOG_RETENTION of a connector are kept.

import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { ConnectorLogLine } from "../connectors/baton/one-shot.js";
import type { StoreReader } from "../store/store.js";

export const DEFAULT_ARTIFACT_RETENTION = 10;
/** A log stops growing here; one line says so. */
export const MAX_LOG_BYTES = 8 * 1024 * 1024;

const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** Task logs kept per connector (task ids are KSUIDs: the newest sort last). */
export const TASK_LOG_RETENTION = 200;

export class ArtifactStore {
  constructor(
    readonly root: string,
    readonly retention: number = DEFAULT_ARTIFACT_RETENTION,
  ) {}

  private dir(connectorId: string): string {
    if (!SAFE_ID.test(connectorId)) throw new Error(`unsafe connector id ${connectorId}`);
    return join(this.root, connectorId);
  }

  path(connectorId: string, syncId: string, kind: "c1z" | "log"): string {
    if (!SAFE_ID.test(syncId)) throw new Error(`unsafe sync id ${syncId}`);
    return join(this.dir(connectorId), `${syncId}.${kind}`);
  }

  /** Size of a kept file, or null when there is none. */
  async size(connectorId: string, syncId: string, kind: "c1z" | "log"): Promise<number | null> {
    try {
      const info = await stat(this.path(connectorId, syncId, kind));
      return info.isFile() ? info.size : null;
    } catch {
      return null;
    }
  }

  read(connectorId: string, syncId: string, kind: "c1z" | "log") {
    return createReadStream(this.path(connectorId, syncId, kind));
  }

  /** The log of a provisioning task. */
  taskLogPath(connectorId: string, taskId: string): string {
    if (!SAFE_ID.test(taskId)) throw new Error(`unsafe task id ${taskId}`);
    return join(this.dir(connectorId), "tasks", `${taskId}.log`);
  }

  /** Opens a provisioning task's log (a task runs once: a new file). */
  async openTaskLog(
    connectorId: string,
    taskId: string,
    onError?: (error: Error) => void,
  ): Promise<SyncLog> {
    const path = this.taskLogPath(connectorId, taskId);
    await mkdir(join(this.dir(connectorId), "tasks"), { recursive: true, mode: 0o700 });
    return new SyncLog(createWriteStream(path, { flags: "a", mode: 0o600 }), 0, onError);
  }

  /** Deletes all but the newest TASK_LOG_RETENTION task logs of the connector. */
  async pruneTaskLogs(connectorId: string): Promise<number> {
    let names: string[];
    try {
      names = await readdir(join(this.dir(connectorId), "tasks"));
    } catch {
      return 0;
    }
    const old = names
      .filter((name) => name.endsWith(".log"))
      .sort()
      .reverse()
      .slice(TASK_LOG_RETENTION);
    await Promise.all(
      old.map((name) => rm(join(this.dir(connectorId), "tasks", name), { force: true })),
    );
    return old.length;
  }

  /** Moves a finished sync's c1z into the store (same file system: a rename). */
  async keepC1z(connectorId: string, syncId: string, source: string): Promise<void> {
    await mkdir(this.dir(connectorId), { recursive: true, mode: 0o700 });
    await rename(source, this.path(connectorId, syncId, "c1z"));
  }

  /** A log for one sync attempt; attempts of the same sync append to the same file. */
  async openLog(
    connectorId: string,
    syncId: string,
    attempt: number,
    onError?: (error: Error) => void,
  ): Promise<SyncLog> {
    await mkdir(this.dir(connectorId), { recursive: true, mode: 0o700 });
    const path = this.path(connectorId, syncId, "log");
    const existing = (await this.size(connectorId, syncId, "log")) ?? 0;
    const log = new SyncLog(
      createWriteStream(path, { flags: "a", mode: 0o600 }),
      existing,
      onError,
    );
    log.write({
      at: Date.now(),
      stream: "syncplane",
      level: "info",
      message: `attempt ${attempt} started`,
    });
    return log;
  }

  /**
   * Deletes the files of all but the newest `retention` syncs of the connector, sparing the
   * applied sync and held (ERRORED_NO_DATA) syncs.
   */
  async prune(store: StoreReader, connectorId: string): Promise<number> {
    let names: string[];
    try {
      const entries = await readdir(this.dir(connectorId), { withFileTypes: true });
      names = entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
    } catch {
      return 0;
    }
    const syncIds = [...new Set(names.map((name) => name.replace(/\.(c1z|log)$/, "")))]
      .filter((id) => SAFE_ID.test(id))
      .sort()
      .reverse();
    let removed = 0;
    for (const syncId of syncIds.slice(this.retention)) {
      // Read right before the delete: a ConfirmSyncValid may just have applied this sync.
      const connector = await store.findConnector(connectorId);
      if (connector?.appliedSyncId === syncId) continue;
      const sync = await store.getSync(connectorId, syncId);
      if (sync?.state === "ERRORED_NO_DATA" || sync?.state === "RUNNING") continue;
      await Promise.all(
        (["c1z", "log"] as const).map((kind) =>
          rm(this.path(connectorId, syncId, kind), { force: true }),
        ),
      );
      removed++;
    }
    return removed;
  }

  /** Removes one kept file of a sync. */
  async discard(connectorId: string, syncId: string, kind: "c1z" | "log"): Promise<void> {
    await rm(this.path(connectorId, syncId, kind), { force: true });
  }

  /** Removes every file of a deleted connector. */
  async removeConnector(connectorId: string): Promise<void> {
    await rm(this.dir(connectorId), { recursive: true, force: true });
  }
}

/** The lines of a kept log (sync or task); none when it does not exist. */
export async function readLogLines(path: string): Promise<Record<string, string>[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((line) => line !== "")
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, string>];
      } catch {
        return []; // a line cut short by a crash
      }
    });
}

export interface SyncLogLine extends Omit<ConnectorLogLine, "stream"> {
  readonly stream: ConnectorLogLine["stream"] | "syncplane";
}

/**
 * JSON lines, appended; capped at MAX_LOG_BYTES. A log that cannot be written (disk full) stops
 * logging and says so through `onError`; the sync itself goes on.
 */
export class SyncLog {
  private full = false;
  private failed = false;

  constructor(
    private readonly out: WriteStream,
    private bytes: number,
    onError: (error: Error) => void = () => undefined,
  ) {
    out.on("error", (error) => {
      this.failed = true;
      onError(error);
    });
  }

  write(line: SyncLogLine): void {
    if (this.full || this.failed) return;
    const text = `${JSON.stringify({ ...line, at: new Date(line.at).toISOString() })}\n`;
    if (this.bytes + text.length > MAX_LOG_BYTES) {
      this.full = true;
      this.out.write(
        `${JSON.stringify({ at: new Date(line.at).toISOString(), stream: "syncplane", level: "warn", message: `log truncated: it reached ${MAX_LOG_BYTES} bytes` })}\n`,
      );
      return;
    }
    this.bytes += text.length;
    this.out.write(text);
  }

  close(): Promise<void> {
    if (this.failed || this.out.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.out.once("error", () => resolve());
      this.out.end(resolve);
    });
  }
}
