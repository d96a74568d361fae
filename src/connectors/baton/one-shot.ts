// A baton connector run one-shot: the configured binary is started in a fresh, empty working
// directory (no stray .baton.yaml is read) with `--file <run>/sync.c1z`, an environment made of
// PATH and HOME, the config's variables and syncplane's own (SQLite c1z, JSON logs, TZ=UTC; never
// BATON_CLIENT_ID/SECRET, which would switch it to service mode). Its output lines go to the
// sync's log as they come. Cancelling (timeout, pause, shutdown) sends SIGINT to its process
// group — baton cancels its sync on SIGINT — and SIGKILL if it has not exited after a grace
// period. A non-zero exit is a failure carrying the last stderr lines, classified by
// domain/baton.ts; exit 0 is followed by reading the c1z it wrote (c1z.ts).

import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { batonRunEnv, classifyBatonExit } from "../../domain/baton.js";
import type { GrantRecord, ResourceRef } from "../../domain/inventory.js";
import { C1zError, DEFAULT_C1Z_LIMITS, readC1z, type C1zLimits } from "./c1z.js";
import {
  ConnectorError,
  type ConnectorRunner,
  type ProvisionContext,
  type ProvisionOutcome,
  type SyncSnapshot,
} from "../runner.js";

export interface BatonOneShotConfig {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/** One line a connector wrote, as the sync's log keeps it. */
export interface ConnectorLogLine {
  readonly at: number;
  readonly stream: "stdout" | "stderr";
  /** From a JSON log line's "level"; "info" for stdout text, "error" for stderr text. */
  readonly level: string;
  readonly message: string;
}

export interface RunEnvironment {
  /** Where run directories are made (one per sync attempt, removed when it is released). */
  readonly workRoot: string;
  /** Variables the connector inherits from syncplane (PATH, HOME). */
  readonly inheritedEnv: Readonly<Record<string, string>>;
  readonly log: (line: ConnectorLogLine) => void;
  /** How long a connector may take to exit after SIGINT before it is killed. */
  readonly killGraceMs?: number;
  readonly c1zLimits?: C1zLimits;
}

const STDERR_TAIL_LINES = 12;
/** How long output may still arrive after the connector's group is gone. */
const OUTPUT_DRAIN_MS = 5000;
/** Tells this process apart from an earlier one that had the same pid (containers: pid 1). */
const PROCESS_TOKEN = randomBytes(8).toString("hex");
const OWNER_FILE = "owner.json";
const UNOWNED_RUN_MAX_AGE_MS = 24 * 3600 * 1000;
const MAX_LINE_CHARS = 4000;
const DEFAULT_KILL_GRACE_MS = 10_000;

export class BatonOneShotConnector implements ConnectorRunner {
  constructor(
    private readonly config: BatonOneShotConfig,
    private readonly environment: RunEnvironment,
  ) {}

  async sync(signal: AbortSignal): Promise<SyncSnapshot> {
    signal.throwIfAborted();
    const { runDir, release } = await this.makeRunDir();
    try {
      const c1zPath = join(runDir, "sync.c1z");
      await this.run(["--file", c1zPath], runDir, signal);
      const size = await stat(c1zPath).then(
        (s) => s.size,
        () => -1,
      );
      if (size < 0) {
        throw ConnectorError.fatal(
          "the connector exited 0 but wrote no c1z file at --file (is it a baton connector?)",
        );
      }
      return await c1zSnapshot(
        c1zPath,
        join(runDir, "sync.sqlite"),
        size,
        release,
        this.environment.c1zLimits,
      );
    } catch (error) {
      await release();
      throw error;
    }
  }

  /**
   * `-p --file <copy of the applied c1z> --grant-entitlement <id> --grant-principal <id>
   * --grant-principal-type <type>`: baton reads the entitlement and principal from the file and
   * asks the connector to grant. The copy keeps the kept artifact unchanged.
   */
  grant(
    entitlementId: string,
    principal: ResourceRef,
    context: ProvisionContext,
  ): Promise<ProvisionOutcome> {
    return this.provision(context, [
      "--grant-entitlement",
      entitlementId,
      "--grant-principal",
      principal.resourceId,
      "--grant-principal-type",
      principal.resourceTypeId,
    ]);
  }

  /** `-p --file <copy of the applied c1z> --revoke-grant <grant id>`. */
  revoke(grant: GrantRecord, context: ProvisionContext): Promise<ProvisionOutcome> {
    return this.provision(context, ["--revoke-grant", grant.id]);
  }

  private async provision(
    context: ProvisionContext,
    action: readonly string[],
  ): Promise<ProvisionOutcome> {
    const { signal, appliedArtifact } = context;
    signal.throwIfAborted();
    if (appliedArtifact === null) {
      throw ConnectorError.fatal(
        "the applied sync's c1z is not kept, and a one-shot baton connector provisions against it; run a sync (ForceSync) and retry",
      );
    }
    const { runDir, release } = await this.makeRunDir();
    try {
      const c1zPath = join(runDir, "sync.c1z");
      if (!(await appliedArtifact.copyTo(c1zPath))) {
        throw ConnectorError.fatal(
          "the applied sync's c1z is no longer kept; run a sync (ForceSync) and retry",
        );
      }
      await this.run(["-p", "--file", c1zPath, ...action], runDir, signal);
      // Exit 0 is all a one-shot connector says: baton does not report "already exists" on the
      // command line.
      return { result: "" };
    } finally {
      await release();
    }
  }

  private async makeRunDir(): Promise<{ runDir: string; release: () => Promise<void> }> {
    await mkdir(this.environment.workRoot, { recursive: true, mode: 0o700 });
    const runDir = await mkdtemp(join(this.environment.workRoot, "run-"));
    await writeFile(
      join(runDir, OWNER_FILE),
      JSON.stringify({ host: hostname(), pid: process.pid, token: PROCESS_TOKEN }),
    );
    return { runDir, release: () => rm(runDir, { recursive: true, force: true }) };
  }

  /** Runs the connector to its exit; resolves on exit 0, throws a ConnectorError otherwise. */
  private async run(extraArgs: readonly string[], runDir: string, signal: AbortSignal) {
    const workDir = join(runDir, "work");
    const tempDir = join(runDir, "tmp");
    await mkdir(workDir);
    await mkdir(tempDir);
    // A stop that came while the run directory was being made is honoured before anything runs.
    signal.throwIfAborted();
    // syncplane's own flags go first: a mistake at the end of config.args (a flag cobra does
    // not know) then reads as that flag, not as a stray `--file` value.
    const child = spawn(this.config.command, [...extraArgs, ...this.config.args], {
      cwd: workDir,
      env: batonRunEnv(this.environment.inheritedEnv, this.config.env, tempDir),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // its own process group: signals reach the connector's subprocesses too
    });
    const stderrTail: string[] = [];
    const follow = (stream: NodeJS.ReadableStream, name: "stdout" | "stderr") => {
      const lines = createInterface({ input: stream, crlfDelay: Infinity });
      lines.on("line", (raw) => {
        const line = parseLogLine(raw, name);
        if (line.message === "") return;
        this.environment.log(line);
        if (name === "stderr") {
          stderrTail.push(line.message);
          if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
        }
      });
      return new Promise<void>((resolve) => lines.once("close", resolve));
    };
    const outputs = Promise.all([follow(child.stdout, "stdout"), follow(child.stderr, "stderr")]);

    let stoppedByUs = false;
    let killTimer: NodeJS.Timeout | undefined;
    const signalGroup = (name: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, name);
      } catch {
        // already gone
      }
    };
    const onAbort = () => {
      stoppedByUs = true;
      signalGroup("SIGINT");
      killTimer = setTimeout(
        () => signalGroup("SIGKILL"),
        this.environment.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
      );
    };
    signal.addEventListener("abort", onAbort, { once: true });
    if (signal.aborted) onAbort();
    try {
      const exit = await new Promise<{ code: number | null; signal: string | null }>(
        (resolve, reject) => {
          child.once("error", (error: NodeJS.ErrnoException) =>
            reject(spawnError(error, this.config.command)),
          );
          child.once("exit", (code, sig) => resolve({ code, signal: sig }));
        },
      );
      // Nothing of the run outlives the connector: subprocesses left in its group (which may
      // hold its output open) go now, then the rest of its output is read.
      signalGroup("SIGKILL");
      await Promise.race([
        outputs,
        new Promise<void>((resolve) => {
          setTimeout(() => {
            child.stdout.destroy();
            child.stderr.destroy();
            resolve();
          }, OUTPUT_DRAIN_MS).unref();
        }),
      ]);
      if (stoppedByUs) {
        const reason = (signal.reason as Error | undefined)?.message ?? "the run was canceled";
        throw ConnectorError.retryable(reason);
      }
      if (exit.code === 0) return;
      const verdict = classifyBatonExit({ ...exit, stderrTail, stoppedByUs });
      throw new ConnectorError(verdict.message, verdict.retryable);
    } finally {
      signal.removeEventListener("abort", onAbort);
      clearTimeout(killTimer);
    }
  }
}

/**
 * Deletes run directories whose process is gone (it crashed or was killed before releasing
 * them): those made on this host by a process that no longer exists. Returns how many went.
 */
export async function sweepAbandonedRuns(workRoot: string, now = Date.now()): Promise<number> {
  let names: string[];
  try {
    names = await readdir(workRoot);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names.filter((n) => n.startsWith("run-"))) {
    const dir = join(workRoot, name);
    let abandoned: boolean;
    try {
      const owner = JSON.parse(await readFile(join(dir, OWNER_FILE), "utf8")) as {
        host?: unknown;
        pid?: unknown;
        token?: unknown;
      };
      const earlierSelf = owner.pid === process.pid && owner.token !== PROCESS_TOKEN;
      abandoned =
        owner.host === hostname() &&
        typeof owner.pid === "number" &&
        (earlierSelf || !processAlive(owner.pid));
    } catch {
      // no owner file: a run that crashed while starting, or a foreign directory; only old ones
      abandoned = await stat(dir).then(
        (info) => now - info.mtimeMs > UNOWNED_RUN_MAX_AGE_MS,
        () => false,
      );
    }
    if (abandoned) {
      await rm(dir, { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The snapshot of a c1z a connector wrote (one-shot) or uploaded (service mode): decompressed to
 * `dbPath`, read in batches; `release` runs after the snapshot's own clean-up.
 */
export async function c1zSnapshot(
  c1zPath: string,
  dbPath: string,
  sizeBytes: number,
  release: () => Promise<void>,
  limits: C1zLimits = DEFAULT_C1Z_LIMITS,
): Promise<SyncSnapshot> {
  const c1z = await readC1z(c1zPath, dbPath, limits).catch((error: unknown) => {
    throw error instanceof C1zError ? new ConnectorError(error.message, error.retryable) : error;
  });
  return {
    resourceTypes: c1z.resourceTypes,
    counts: c1z.counts,
    resources: () => asConnectorErrors(c1z.resources()),
    entitlements: () => asConnectorErrors(c1z.entitlements()),
    grants: (order) => asConnectorErrors(c1z.grants(order)),
    grantSource: { dbPath, runId: c1z.syncId },
    artifact: { path: c1zPath, sizeBytes, sourceSyncId: c1z.syncId },
    release: async () => {
      c1z.close();
      await release();
    },
  };
}

/** A damaged c1z found while its rows are read fails the sync for good, like one found earlier. */
async function* asConnectorErrors<T>(batches: AsyncIterable<T>): AsyncIterable<T> {
  try {
    yield* batches;
  } catch (error) {
    throw error instanceof C1zError ? new ConnectorError(error.message, error.retryable) : error;
  }
}

function spawnError(error: NodeJS.ErrnoException, command: string): ConnectorError {
  if (error.code === "ENOENT") {
    return ConnectorError.fatal(
      `cannot start the connector: "${command}" was not found (config.command must be an absolute path or a program on the server's PATH)`,
    );
  }
  if (error.code === "EACCES") {
    return ConnectorError.fatal(
      `cannot start the connector: "${command}" is not executable by the server's user`,
    );
  }
  return ConnectorError.retryable(`cannot start the connector "${command}": ${error.message}`);
}

/** A zap JSON line becomes its level and message (plus its error field); text stays as it is. */
export function parseLogLine(raw: string, stream: "stdout" | "stderr"): ConnectorLogLine {
  const at = Date.now();
  const text = raw.trimEnd();
  if (text.startsWith("{")) {
    try {
      const fields = JSON.parse(text) as Record<string, unknown>;
      const message = typeof fields.msg === "string" ? fields.msg : text;
      const error = typeof fields.error === "string" ? `: ${fields.error}` : "";
      return {
        at,
        stream,
        level: typeof fields.level === "string" ? fields.level : "info",
        message: clip(`${message}${error}`),
      };
    } catch {
      // not JSON after all
    }
  }
  return { at, stream, level: stream === "stderr" ? "error" : "info", message: clip(text) };
}

const clip = (text: string) =>
  text.length > MAX_LINE_CHARS ? `${text.slice(0, MAX_LINE_CHARS)}… (line cut)` : text;
