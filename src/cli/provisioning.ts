// `syncplane provisioning grant|revoke|list|get|log|cancel`: a connector's grant and revoke
// requests (held while it is paused; run in creation order).

import type { Command } from "commander";
import type { ProvisioningTask } from "../client/index.js";
import type { Output } from "./output.js";
import { clientFor, wantsJson } from "./remote.js";
import { logLine } from "./syncs.js";

const COLUMNS = ["id", "kind", "state", "target", "requestedBy", "createdAt", "outcome"];

const target = (task: ProvisioningTask): string =>
  task.kind === "GRANT"
    ? `${task.entitlementId} → ${task.principal?.resourceTypeId}:${task.principal?.resourceId}`
    : `${task.grantId}`;

const row = (task: ProvisioningTask) => ({
  id: task.id,
  kind: task.kind,
  state: task.state === "HELD" ? `HELD (${(task.heldBy ?? []).join(", ")})` : task.state,
  target: target(task),
  requestedBy: task.requestedBy,
  createdAt: task.createdAt,
  outcome: task.error ?? task.result,
});

interface Where {
  app: string;
  connector: string;
}

export function provisioningCommand(program: Command, out: () => Output): void {
  const provisioning = program
    .command("provisioning")
    .description("ask a connector to grant or revoke access, and follow the requests");
  const show = (command: Command, task: ProvisioningTask) => {
    if (wantsJson(command)) return out().json({ task });
    out().fields({
      ...row(task),
      note: task.note,
      startedAt: task.startedAt,
      finishedAt: task.finishedAt,
    });
  };

  provisioning
    .command("grant <entitlementId>")
    .description("grant an entitlement to a principal (ids as `inventory` shows them)")
    .requiredOption("--app <appId>", "the app")
    .requiredOption("--connector <connectorId>", "the connector")
    .requiredOption("--principal-type <resourceTypeId>", "the principal's resource type, e.g. user")
    .requiredOption("--principal <resourceId>", "the principal's resource id")
    .option("--note <text>", "why: shown on the task and in the audit log")
    .action(
      async (
        entitlementId: string,
        flags: Where & { principalType: string; principal: string; note?: string },
        command: Command,
      ) => {
        const { task } = await clientFor(command).provisioning.grant({
          appId: flags.app,
          connectorId: flags.connector,
          entitlementId,
          principal: { resourceTypeId: flags.principalType, resourceId: flags.principal },
          note: flags.note,
        });
        show(command, task);
      },
    );

  provisioning
    .command("revoke <grantId>")
    .description("revoke a grant (its id as `inventory grants` shows it)")
    .requiredOption("--app <appId>", "the app")
    .requiredOption("--connector <connectorId>", "the connector")
    .option("--note <text>", "why: shown on the task and in the audit log")
    .action(async (grantId: string, flags: Where & { note?: string }, command: Command) => {
      const { task } = await clientFor(command).provisioning.revoke({
        appId: flags.app,
        connectorId: flags.connector,
        grantId,
        note: flags.note,
      });
      show(command, task);
    });

  provisioning
    .command("list")
    .description("list a connector's provisioning tasks in queue (creation) order")
    .requiredOption("--app <appId>", "the app")
    .requiredOption("--connector <connectorId>", "the connector")
    .option("--state <states>", "only these states, comma-separated (QUEUED, HELD, RUNNING, …)")
    .option("--page-size <n>", "tasks per page")
    .option("--page-token <token>", "continue a listing")
    .action(
      async (
        flags: Where & { state?: string; pageSize?: string; pageToken?: string },
        command: Command,
      ) => {
        const page = await clientFor(command).provisioning.list({
          appId: flags.app,
          connectorId: flags.connector,
          states: flags.state ? flags.state.split(",") : undefined,
          pageSize: flags.pageSize ? Number(flags.pageSize) : undefined,
          pageToken: flags.pageToken,
        });
        if (wantsJson(command)) return out().json(page);
        out().table(page.list.map(row), COLUMNS);
        if (page.nextPageToken) out().line(`next page: --page-token ${page.nextPageToken}`);
      },
    );

  provisioning
    .command("get <taskId>")
    .description("show one provisioning task")
    .requiredOption("--app <appId>", "the app")
    .requiredOption("--connector <connectorId>", "the connector")
    .action(async (taskId: string, flags: Where, command: Command) => {
      const { task } = await clientFor(command).provisioning.get({
        appId: flags.app,
        connectorId: flags.connector,
        taskId,
      });
      show(command, task);
    });

  provisioning
    .command("log <taskId>")
    .description("show a task's log: syncplane's notes and the connector's output")
    .requiredOption("--app <appId>", "the app")
    .requiredOption("--connector <connectorId>", "the connector")
    .action(async (taskId: string, flags: Where, command: Command) => {
      const log = await clientFor(command).provisioning.getLog({
        appId: flags.app,
        connectorId: flags.connector,
        taskId,
      });
      if (wantsJson(command)) return out().json(log);
      if (log.lines.length === 0) return out().line("(no log kept for this task)");
      for (const line of log.lines) out().line(logLine(line));
    });

  provisioning
    .command("cancel <taskId>")
    .description("cancel a task that has not started (QUEUED or HELD)")
    .requiredOption("--app <appId>", "the app")
    .requiredOption("--connector <connectorId>", "the connector")
    .action(async (taskId: string, flags: Where, command: Command) => {
      const { task } = await clientFor(command).provisioning.cancel({
        appId: flags.app,
        connectorId: flags.connector,
        taskId,
      });
      show(command, task);
    });
}
