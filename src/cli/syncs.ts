import type { Command } from "commander";
import type { SyncLifecycle } from "../client/index.js";
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

export function syncsCommand(program: Command, out: () => Output): void {
  const syncs = program.command("syncs").description("a connector's sync history");

  syncs
    .command("list")
    .description("list a connector's syncs, newest first")
    .requiredOption("--app <appId>", "the app")
    .requiredOption("--connector <connectorId>", "the connector")
    .option("--page-size <n>", "syncs per page")
    .option("--page-token <token>", "continue a listing")
    .action(
      async (
        flags: { app: string; connector: string; pageSize?: string; pageToken?: string },
        command: Command,
      ) => {
        const page = await clientFor(command).syncs.list({
          appId: flags.app,
          connectorId: flags.connector,
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
      });
    });
}
