import type { Command } from "commander";
import type { Webhook, WebhookDelivery } from "../client/index.js";
import type { Output } from "./output.js";
import { clientFor, wantsJson } from "./remote.js";

const row = (webhook: Webhook) => ({
  id: webhook.id,
  url: webhook.url,
  events: webhook.eventTypes.join(","),
  app: webhook.appId ?? "(all)",
  failureThreshold: webhook.failureThreshold,
});

const deliveryRow = (delivery: WebhookDelivery) => ({
  id: delivery.id,
  event: delivery.eventType,
  state: delivery.state,
  attempts: delivery.attempts,
  lastStatus: delivery.lastStatus ?? "",
  next: delivery.nextAttemptAt ?? "",
  error: delivery.lastError ?? "",
});

export function webhooksCommand(program: Command, out: () => Output): void {
  const webhooks = program
    .command("webhooks")
    .description("webhook subscriptions: signed POSTs when a connector needs attention");

  webhooks
    .command("create")
    .description("subscribe a URL to events; prints the signing secret once")
    .requiredOption("--url <url>", "where deliveries are POSTed (http or https)")
    .requiredOption(
      "--events <types>",
      "comma-separated: sync.held, sync.errored, connector.failing, task.failed, connector.stopped_polling, pause.ended",
    )
    .option("--app <appId>", "only this app's events")
    .option(
      "--failure-threshold <n>",
      "connector.failing after this many failed syncs in a row (default 3)",
    )
    .option("--description <text>", "what the subscription is for")
    .action(
      async (
        flags: {
          url: string;
          events: string;
          app?: string;
          failureThreshold?: string;
          description?: string;
        },
        command: Command,
      ) => {
        const created = await clientFor(command).webhooks.create({
          url: flags.url,
          eventTypes: flags.events
            .split(",")
            .map((type) => type.trim())
            .filter(Boolean),
          appId: flags.app,
          failureThreshold: flags.failureThreshold ? Number(flags.failureThreshold) : undefined,
          description: flags.description,
        });
        if (wantsJson(command)) return out().json(created);
        out().fields({ ...row(created.webhook), secret: created.secret });
        out().line("keep the secret: it is not shown again (it verifies webhook-signature)");
      },
    );

  webhooks
    .command("list")
    .description("list webhook subscriptions")
    .option("--page-size <n>", "subscriptions per page")
    .option("--page-token <token>", "continue a listing")
    .action(async (flags: { pageSize?: string; pageToken?: string }, command: Command) => {
      const page = await clientFor(command).webhooks.list({
        pageSize: flags.pageSize ? Number(flags.pageSize) : undefined,
        pageToken: flags.pageToken,
      });
      if (wantsJson(command)) return out().json(page);
      out().table(page.list.map(row), ["id", "url", "events", "app", "failureThreshold"]);
      if (page.nextPageToken) out().line(`next page: --page-token ${page.nextPageToken}`);
    });

  webhooks
    .command("delete <webhookId>")
    .description("delete a subscription (its pending deliveries fail)")
    .action(async (id: string, _flags: unknown, command: Command) => {
      await clientFor(command).webhooks.delete({ webhookId: id });
      if (wantsJson(command)) out().json({});
      else out().line(`webhook ${id} deleted`);
    });

  webhooks
    .command("test <webhookId>")
    .description("send a webhook.test delivery to the subscription")
    .action(async (id: string, _flags: unknown, command: Command) => {
      const { delivery } = await clientFor(command).webhooks.test({ webhookId: id });
      if (wantsJson(command)) out().json({ delivery });
      else out().line(`delivery ${delivery.id} queued; see: syncplane webhooks deliveries ${id}`);
    });

  webhooks
    .command("deliveries <webhookId>")
    .description("a subscription's deliveries, newest first, with the last attempt's outcome")
    .option("--state <state>", "only PENDING, DELIVERED or FAILED")
    .option("--page-size <n>", "deliveries per page")
    .option("--page-token <token>", "continue a listing")
    .action(
      async (
        id: string,
        flags: { state?: string; pageSize?: string; pageToken?: string },
        command: Command,
      ) => {
        const page = await clientFor(command).webhooks.listDeliveries({
          webhookId: id,
          state: flags.state?.toUpperCase(),
          pageSize: flags.pageSize ? Number(flags.pageSize) : undefined,
          pageToken: flags.pageToken,
        });
        if (wantsJson(command)) return out().json(page);
        out().table(page.list.map(deliveryRow), [
          "id",
          "event",
          "state",
          "attempts",
          "lastStatus",
          "next",
          "error",
        ]);
        if (page.nextPageToken) out().line(`next page: --page-token ${page.nextPageToken}`);
      },
    );
}
