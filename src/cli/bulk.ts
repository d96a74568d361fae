// `syncplane bulk pause|resume|force-sync`: one control on every connector a selector chooses,
// with --dry-run to see what would happen first.

import type { Command } from "commander";
import type { BulkRequest, BulkResponse } from "../client/index.js";
import { labelsFrom } from "./connectors.js";
import type { Output } from "./output.js";
import { clientFor, wantsJson } from "./remote.js";

interface SelectorFlags {
  app?: string;
  catalog?: string;
  label?: string[];
  status?: string;
  holdKind?: string;
  connector?: string[];
  dryRun?: boolean;
  note?: string;
  until?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function bulkCommand(program: Command, out: () => Output): void {
  const bulk = program
    .command("bulk")
    .description("pause, resume or force every connector a selector chooses (try --dry-run first)");

  const action = (
    name: string,
    description: string,
    send: (client: ReturnType<typeof clientFor>, request: BulkRequest) => Promise<BulkResponse>,
    pauseOptions: boolean,
  ) => {
    const command = bulk
      .command(name)
      .description(description)
      .option("--app <appId>", "connectors of this app")
      .option("--catalog <catalogId>", "connectors of this catalog (file, baton, baton-service)")
      .option(
        "--label <key=value>",
        "connectors with this label (repeatable: all must match)",
        collect,
      )
      .option("--status <status>", "connectors whose status reads back so (e.g. SYNC_STATUS_ERROR)")
      .option("--hold-kind <kind>", "connectors with a hold of this kind (PAUSED or DATA_DROP)")
      .option("--connector <id>", "this connector, by id (repeatable)", collect)
      .option("--dry-run", "say what would happen, change nothing");
    if (pauseOptions) {
      command
        .option("--note <text>", "why (shown as syncDisabledReason)")
        .option("--until <time|duration>", "resume by itself then (RFC 3339 or e.g. 2h)");
    }
    command.action(async (flags: SelectorFlags, self: Command) => {
      const labels = labelsFrom(flags.label);
      const status = flags.status?.toUpperCase();
      const request: BulkRequest = {
        selector: {
          ...(flags.app !== undefined && { appId: flags.app }),
          ...(flags.catalog !== undefined && { catalogId: flags.catalog }),
          ...(labels && { labels }),
          ...(status !== undefined && {
            status: status.startsWith("SYNC_STATUS_") ? status : `SYNC_STATUS_${status}`,
          }),
          ...(flags.holdKind !== undefined && { holdKind: flags.holdKind.toUpperCase() }),
          ...(flags.connector && { connectorIds: flags.connector }),
        },
        ...(flags.dryRun && { dryRun: true }),
        ...(flags.note !== undefined && { note: flags.note }),
        ...(flags.until !== undefined && { until: flags.until }),
      };
      const response = await send(clientFor(self), request);
      if (wantsJson(self)) return out().json(response);
      out().table(
        response.results.map((result) => ({
          appId: result.appId,
          connectorId: result.connectorId,
          outcome: (response.dryRun ? "would be " : "") + result.outcome,
          error: result.error ?? "",
        })),
        ["appId", "connectorId", "outcome", "error"],
      );
      const changed = response.results.filter((result) =>
        ["PAUSED", "TIMER_REPLACED", "RESUMED", "SYNC_QUEUED"].includes(result.outcome),
      ).length;
      const failed = response.results.filter((result) => result.outcome === "FAILED").length;
      out().line(
        `${response.results.length} selected, ${changed} ${response.dryRun ? "would change" : "changed"}, ${failed} failed` +
          (response.dryRun ? " (dry run: nothing changed)" : ""),
      );
    });
  };

  action("pause", "pause the selected connectors", (c, r) => c.bulk.pause(r), true);
  action("resume", "resume the selected paused connectors", (c, r) => c.bulk.resume(r), false);
  action(
    "force-sync",
    "queue a sync for each selected connector",
    (c, r) => c.bulk.forceSync(r),
    false,
  );
}
