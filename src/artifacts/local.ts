// Artifacts on the local disk (with the embedded SQLite store): <root>/<connector id>/<sync id>.c1z
// and .log, and <root>/<connector id>/tasks/<task id>.log, where root is <data-dir>/artifacts.
// Files are only visible to processes sharing the data dir.

import { createReadStream, createWriteStream, type ReadStream } from "node:fs";
import { copyFile, mkdir, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { StoreReader } from "../store/store.js";
import {
  checkId,
  DEFAULT_ARTIFACT_RETENTION,
  parseLogLines,
  pruneSyncFiles,
  SyncLog,
  TASK_LOG_RETENTION,
  type Artifacts,
  type LogLine,
  type SyncFileKind,
} from "./artifacts.js";

export class LocalArtifacts implements Artifacts {
  readonly backend = "disk";

  constructor(
    readonly root: string,
    readonly retention: number = DEFAULT_ARTIFACT_RETENTION,
  ) {}

  private dir(connectorId: string): string {
    return join(this.root, checkId("connector", connectorId));
  }

  private path(connectorId: string, syncId: string, kind: SyncFileKind): string {
    return join(this.dir(connectorId), `${checkId("sync", syncId)}.${kind}`);
  }

  private taskLogPath(connectorId: string, taskId: string): string {
    return join(this.dir(connectorId), "tasks", `${checkId("task", taskId)}.log`);
  }

  async size(connectorId: string, syncId: string, kind: SyncFileKind): Promise<number | null> {
    try {
      const info = await stat(this.path(connectorId, syncId, kind));
      return info.isFile() ? info.size : null;
    } catch {
      return null;
    }
  }

  read(connectorId: string, syncId: string, kind: SyncFileKind): ReadStream {
    return createReadStream(this.path(connectorId, syncId, kind));
  }

  async copyTo(
    connectorId: string,
    syncId: string,
    kind: SyncFileKind,
    path: string,
  ): Promise<boolean> {
    try {
      await copyFile(this.path(connectorId, syncId, kind), path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw error;
    }
  }

  /** Moves the c1z in (same file system: a rename). */
  async keepC1z(connectorId: string, syncId: string, source: string): Promise<void> {
    await mkdir(this.dir(connectorId), { recursive: true, mode: 0o700 });
    await rename(source, this.path(connectorId, syncId, "c1z"));
  }

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

  async openTaskLog(
    connectorId: string,
    taskId: string,
    onError?: (error: Error) => void,
  ): Promise<SyncLog> {
    const path = this.taskLogPath(connectorId, taskId);
    await mkdir(join(this.dir(connectorId), "tasks"), { recursive: true, mode: 0o700 });
    // A task runs once: its log is a new file.
    return new SyncLog(createWriteStream(path, { flags: "a", mode: 0o600 }), 0, onError);
  }

  readLog(connectorId: string, syncId: string): Promise<LogLine[]> {
    return readLines(this.path(connectorId, syncId, "log"));
  }

  readTaskLog(connectorId: string, taskId: string): Promise<LogLine[]> {
    return readLines(this.taskLogPath(connectorId, taskId));
  }

  async prune(store: StoreReader, connectorId: string): Promise<number> {
    let names: string[];
    try {
      const entries = await readdir(this.dir(connectorId), { withFileTypes: true });
      names = entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
    } catch {
      return 0;
    }
    const syncIds = names
      .filter((name) => /\.(c1z|log)$/.test(name))
      .map((name) => name.replace(/\.(c1z|log)$/, ""));
    return pruneSyncFiles(store, connectorId, syncIds, this.retention, async (syncId) => {
      await Promise.all(
        (["c1z", "log"] as const).map((kind) =>
          rm(this.path(connectorId, syncId, kind), { force: true }),
        ),
      );
    });
  }

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

  async discard(connectorId: string, syncId: string, kind: SyncFileKind): Promise<void> {
    await rm(this.path(connectorId, syncId, kind), { force: true });
  }

  async removeConnector(connectorId: string): Promise<void> {
    await rm(this.dir(connectorId), { recursive: true, force: true });
  }

  async close(): Promise<void> {
    // nothing held
  }
}

async function readLines(path: string): Promise<LogLine[]> {
  try {
    return parseLogLines(await readFile(path, "utf8"));
  } catch {
    return [];
  }
}
