import type { Command } from "commander";
import type { Output } from "./output.js";
import { clientFor, wantsJson } from "./remote.js";

export function auditCommand(program: Command, out: () => Output): void {
  program
    .command("audit")
    .description("the audit log, newest first")
    .option("--object-type <type>", "app, connector, sync or credential")
    .option("--object-id <id>", "one object's events")
    .option("--page-size <n>", "events per page")
    .option("--page-token <token>", "continue a listing")
    .action(
      async (
        flags: { objectType?: string; objectId?: string; pageSize?: string; pageToken?: string },
        command: Command,
      ) => {
        const page = await clientFor(command).audit.list({
          objectType: flags.objectType,
          objectId: flags.objectId,
          pageSize: flags.pageSize ? Number(flags.pageSize) : undefined,
          pageToken: flags.pageToken,
        });
        if (wantsJson(command)) return out().json(page);
        out().table(page.list, ["at", "actor", "action", "objectType", "objectId", "requestId"]);
        if (page.nextPageToken) out().line(`next page: --page-token ${page.nextPageToken}`);
      },
    );
}
