import type { Command } from "commander";
import type { App } from "../client/index.js";
import type { Output } from "./output.js";
import { clientFor, wantsJson } from "./remote.js";

const row = (app: App | undefined) => ({
  id: app?.id,
  displayName: app?.displayName,
  description: app?.description,
  createdAt: app?.createdAt,
});

export function appsCommand(program: Command, out: () => Output): void {
  const apps = program.command("apps").description("manage apps");

  apps
    .command("list")
    .description("list apps")
    .option("--page-size <n>", "apps per page")
    .option("--page-token <token>", "continue a listing")
    .action(async (flags: { pageSize?: string; pageToken?: string }, command: Command) => {
      const page = await clientFor(command).apps.list({
        pageSize: flags.pageSize ? Number(flags.pageSize) : undefined,
        pageToken: flags.pageToken,
      });
      if (wantsJson(command)) return out().json(page);
      out().table(page.list.map(row), ["id", "displayName", "description", "createdAt"]);
      if (page.nextPageToken) out().line(`next page: --page-token ${page.nextPageToken}`);
    });

  apps
    .command("get <id>")
    .description("show an app")
    .action(async (id: string, _flags: unknown, command: Command) => {
      const result = await clientFor(command).apps.get({ id });
      if (wantsJson(command)) out().json(result);
      else out().fields(row(result.app));
    });

  apps
    .command("create")
    .description("create an app")
    .requiredOption("--display-name <name>", "the app's name")
    .option("--description <text>", "what the app is")
    .action(async (flags: { displayName: string; description?: string }, command: Command) => {
      const result = await clientFor(command).apps.create({
        displayName: flags.displayName,
        description: flags.description,
      });
      if (wantsJson(command)) out().json(result);
      else out().fields(row(result.app));
    });

  apps
    .command("update <id>")
    .description("change an app's name or description")
    .option("--display-name <name>", "new name")
    .option("--description <text>", "new description")
    .action(
      async (
        id: string,
        flags: { displayName?: string; description?: string },
        command: Command,
      ) => {
        const fields = [
          flags.displayName !== undefined && "displayName",
          flags.description !== undefined && "description",
        ].filter(Boolean) as string[];
        const result = await clientFor(command).apps.update({
          id,
          updateAppRequest: {
            app: { displayName: flags.displayName, description: flags.description },
            updateMask: fields.join(","),
          },
        });
        if (wantsJson(command)) out().json(result);
        else out().fields(row(result.app));
      },
    );

  apps
    .command("delete <id>")
    .description("delete an app (it must have no connectors)")
    .action(async (id: string, _flags: unknown, command: Command) => {
      await clientFor(command).apps.delete({ id });
      if (wantsJson(command)) out().json({});
      else out().line(`deleted app ${id}`);
    });
}
