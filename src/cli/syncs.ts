import { resolve } from "node:path";
import type { Command } from "commander";
import type {
  SyncDiffCount,
  SyncDiffItem,
  SyncDiffTotals,
  SyncLifecycle,
  SyncLogLine,
  SyncProgress,
} from "../client/index.js";
import { downloadSyncTo } from "../client/node.js";
import type { Output } from "./output.js";
import { clientFor, wantsJson } from "./remote.js";

const row = (sync: SyncLifecycle) => ({
  id: sync.id,
  trigger: sync.trigger,
  state: sync.state,
  attempt: sync.attempt,
  queuedAt: sync.queuedAt,
  finishedAt: sync.finishedAt,
  error: sync.error,
});

/** "CONNECTOR, 33s of usually 1m (~55%, estimate): Syncing users" */
export function progressLine(progress: SyncProgress): string {
  const phase = progress.phase ?? "STARTING";
  const took = progress.typicalDuration
    ? `${progress.elapsed} of usually ${progress.typicalDuration}`
    : `${progress.elapsed} so far`;
  const share =
    progress.estimatedFraction !== undefined
      ? ` (~${Math.round(progress.estimatedFraction * 100)}%, estimate${progress.overdue ? "; longer than usual" : ""})`
      : "";
  return `${phase}, ${took}${share}${progress.message ? `: ${progress.message}` : ""}`;
}

export function syncsCommand(program: Command, out: () => Output): void {
  const syncs = program.command("syncs").description("a connector's sync history");
  watchCommand(syncs, out);

  syncs
    .command("list")
    .description("list a connector's syncs, newest first")
    .requiredOption("--app <appId>", "the app")
    .requiredOption("--connector <connectorId>", "the connector")
    .option("--state <states>", "only these states, comma-separated (e.g. ERRORED,ERRORED_NO_DATA)")
    .option("--trigger <triggers>", "only these triggers, comma-separated (e.g. FORCE,SCHEDULE)")
    .option("--queued-after <time>", "only syncs queued at or after this RFC 3339 time")
    .option("--queued-before <time>", "only syncs queued before this RFC 3339 time")
    .option("--page-size <n>", "syncs per page")
    .option("--page-token <token>", "continue a listing")
    .action(
      async (
        flags: {
          app: string;
          connector: string;
          state?: string;
          trigger?: string;
          queuedAfter?: string;
          queuedBefore?: string;
          pageSize?: string;
          pageToken?: string;
        },
        command: Command,
      ) => {
        const list = (value: string | undefined) =>
          value === undefined
            ? undefined
            : value.split(",").map((item) => item.trim().toUpperCase());
        const page = await clientFor(command).syncs.list({
          appId: flags.app,
          connectorId: flags.connector,
          states: list(flags.state),
          triggers: list(flags.trigger),
          queuedAfter: flags.queuedAfter,
          queuedBefore: flags.queuedBefore,
          pageSize: flags.pageSize ? Number(flags.pageSize) : undefined,
          pageToken: flags.pageToken,
        });
        if (wantsJson(command)) return out().json(page);
        out().table(page.list.map(row), [
          "id",
          "trigger",
          "state",
          "attempt",
          "queuedAt",
          "finishedAt",
          "error",
        ]);
        if (page.nextPageToken) out().line(`next page: --page-token ${page.nextPageToken}`);
      },
    );

  syncs
    .command("get <syncLifecycleId>")
    .description("show one sync")
    .requiredOption("--app <appId>", "the app")
    .requiredOption("--connector <connectorId>", "the connector")
    .action(async (id: string, flags: { app: string; connector: string }, command: Command) => {
      const result = await clientFor(command).syncs.get({
        appId: flags.app,
        connectorId: flags.connector,
        syncLifecycleId: id,
      });
      if (wantsJson(command)) return out().json(result);
      const sync = result.syncLifecycle;
      out().fields({
        ...row(sync),
        connectorId: sync.connectorId,
        startedAt: sync.startedAt,
        counts: sync.counts,
        requestedBy: sync.requestedBy,
        ...(sync.progress && { progress: progressLine(sync.progress) }),
      });
    });

  syncs
    .command("log <syncLifecycleId>")
    .description("show a sync's log: syncplane's notes on each attempt and the connector's output")
    .requiredOption("--app <appId>", "the app")
    .requiredOption("--connector <connectorId>", "the connector")
    .action(async (id: string, flags: { app: string; connector: string }, command: Command) => {
      const log = await clientFor(command).syncs.getSyncLog({
        appId: flags.app,
        connectorId: flags.connector,
        syncLifecycleId: id,
      });
      if (wantsJson(command)) return out().json(log);
      if (log.lines.length === 0) return out().line("(no log kept for this sync)");
      for (const line of log.lines) out().line(logLine(line));
    });

  syncs
    .command("diff <syncLifecycleId>")
    .description(
      "what a finished sync removed and added compared with the applied sync (the applied sync: with the one it replaced)",
    )
    .requiredOption("--app <appId>", "the app")
    .requiredOption("--connector <connectorId>", "the connector")
    .option("--kind <kind>", "only resources, entitlements or grants")
    .option("--change <change>", "only removed or added")
    .option(
      "--resource-type <id>",
      "only rows of this resource type (a grant's: its entitlement's)",
    )
    .option("--page-size <n>", "rows per page")
    .option("--page-token <token>", "continue a listing")
    .action(
      async (
        id: string,
        flags: {
          app: string;
          connector: string;
          kind?: string;
          change?: string;
          resourceType?: string;
          pageSize?: string;
          pageToken?: string;
        },
        command: Command,
      ) => {
        const diff = await clientFor(command).syncs.diff({
          appId: flags.app,
          connectorId: flags.connector,
          syncLifecycleId: id,
          kind: flags.kind as "resources" | undefined,
          change: flags.change as "removed" | undefined,
          resourceTypeId: flags.resourceType,
          pageSize: flags.pageSize ? Number(flags.pageSize) : undefined,
          pageToken: flags.pageToken,
        });
        if (wantsJson(command)) return out().json(diff);
        if (diff.totals) {
          out().line(
            `sync ${diff.syncId} compared with ${diff.baseSyncId ?? "nothing (first data)"}`,
          );
          const count = (c: SyncDiffCount) => `-${c.removed} +${c.added}`;
          out().table(
            [
              { resourceType: "(all)", ...countsRow(diff.totals, count) },
              ...(diff.totals.byResourceType ?? []).map((t) => ({
                resourceType: t.resourceTypeId,
                ...countsRow(t, count),
              })),
            ],
            ["resourceType", "resources", "entitlements", "grants"],
          );
        }
        if (diff.list.length === 0) out().line("(no changed rows on this page)");
        else out().table(diff.list.map(diffRow), ["change", "kind", "resourceType", "id", "name"]);
        if (diff.nextPageToken) out().line(`next page: --page-token ${diff.nextPageToken}`);
      },
    );

  syncs
    .command("download <syncLifecycleId>")
    .description("download a sync's c1z file (kept for baton connectors' recent successful syncs)")
    .requiredOption("--app <appId>", "the app")
    .requiredOption("--connector <connectorId>", "the connector")
    .requiredOption("--out <file>", "where to write it")
    .action(
      async (
        id: string,
        flags: { app: string; connector: string; out: string },
        command: Command,
      ) => {
        const path = resolve(flags.out);
        const bytes = await downloadSyncTo(clientFor(command), {
          appId: flags.app,
          connectorId: flags.connector,
          syncLifecycleId: id,
          path,
        });
        if (wantsJson(command)) return out().json({ path, bytes });
        out().line(`wrote ${path} (${bytes} bytes)`);
      },
    );
}

const countsRow = (
  t: Pick<SyncDiffTotals, "resources" | "entitlements" | "grants">,
  count: (c: SyncDiffCount) => string,
) => ({
  resources: count(t.resources),
  entitlements: count(t.entitlements),
  grants: count(t.grants),
});

/** A changed row as `syncs diff` prints it: the id the inventory API uses, and a name. */
const diffRow = (item: SyncDiffItem) => ({
  change: item.change,
  kind: item.kind,
  resourceType: item.resourceTypeId,
  id: item.kind === "resources" ? item.resourceId : item.kind === "grants" ? item.id : item.id,
  name:
    item.kind === "grants"
      ? `${item.principal?.resourceTypeId ?? ""}:${item.principal?.resourceId ?? ""} → ${item.entitlementId ?? ""}`
      : item.displayName,
});

/** A log line as `syncs log` prints it: time, level, message. */
export const logLine = (line: SyncLogLine): string =>
  `${line.at}  ${line.level.toUpperCase().padEnd(5)}  ${line.message}`;

const describeCounts = (sync: SyncLifecycle): string => {
  if (!sync.counts) return "";
  const resources = Object.entries(sync.counts.resources ?? {})
    .map(([type, n]) => `${type} ${n}`)
    .join(", ");
  return `${resources}${resources ? ", " : ""}${sync.counts.entitlements ?? 0} entitlements, ${sync.counts.grants ?? 0} grants`;
};

/** One line about a sync, as `syncs watch` prints it. */
export function watchLine(sync: SyncLifecycle, now: number): string {
  const since =
    sync.startedAt && sync.state === "RUNNING"
      ? ` for ${Math.round((now - Date.parse(sync.startedAt)) / 1000)}s`
      : "";
  const attempt = sync.attempt > 1 ? ` (attempt ${sync.attempt})` : "";
  const detail = sync.error ? `: ${sync.error}` : sync.counts ? `: ${describeCounts(sync)}` : "";
  return `${sync.id}  ${sync.trigger.padEnd(8)} ${sync.state}${since}${attempt}${detail}`;
}

export function watchCommand(syncs: Command, out: () => Output): void {
  syncs
    .command("watch")
    .description(
      "follow a connector's syncs live: a line per change, a progress line while one runs",
    )
    .requiredOption("--app <appId>", "the app")
    .requiredOption("--connector <connectorId>", "the connector")
    .option("--interval <seconds>", "how often to look", "1")
    .option("--until-idle", "stop once no sync is queued or running")
    .option("--timeout <seconds>", "stop after this long")
    .action(
      async (
        flags: {
          app: string;
          connector: string;
          interval: string;
          untilIdle?: boolean;
          timeout?: string;
        },
        command: Command,
      ) => {
        const client = clientFor(command);
        const intervalMs = Math.max(0.2, Number(flags.interval) || 1) * 1000;
        const deadline = flags.timeout ? Date.now() + Number(flags.timeout) * 1000 : Infinity;
        const json = wantsJson(command);
        const tty = process.stdout.isTTY && !json;
        const seen = new Map<string, string>();
        let progress = false;
        const print = (sync: SyncLifecycle) => {
          if (progress) process.stdout.write("\n");
          progress = false;
          if (json) out().line(JSON.stringify(sync));
          else out().line(`${new Date().toISOString()}  ${watchLine(sync, Date.now())}`);
        };
        for (let first = true; ; first = false) {
          const { list } = await client.syncs.list({
            appId: flags.app,
            connectorId: flags.connector,
            pageSize: 20,
          });
          const changed = [...list]
            .reverse()
            .filter((sync) => seen.get(sync.id) !== `${sync.state}:${sync.attempt}`);
          for (const sync of list) seen.set(sync.id, `${sync.state}:${sync.attempt}`);
          // At start, where things stand (the newest sync); afterwards, every change.
          if (first) list.slice(0, 1).forEach(print);
          else changed.forEach(print);
          const running = list.find((sync) => sync.state === "RUNNING");
          if (tty && running) {
            process.stdout.write(
              `\r${new Date().toISOString()}  ${watchLine(running, Date.now())}   `,
            );
            progress = true;
          }
          const busy = list.some((sync) => sync.state === "RUNNING" || sync.state === "QUEUED");
          if ((flags.untilIdle && !busy) || Date.now() >= deadline) break;
          await new Promise((resolve) => setTimeout(resolve, intervalMs));
        }
        if (progress) process.stdout.write("\n");
      },
    );
}
