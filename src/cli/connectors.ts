import type { Command } from "commander";
import type { Connector, ConnectorViewResponse } from "../client/index.js";
import type { Output } from "./output.js";
import { clientFor, wantsJson } from "./remote.js";

const FILE_CONFIG = "type.googleapis.com/syncplane.v1.FileConnectorConfig";
const BATON_CONFIG = "type.googleapis.com/syncplane.v1.BatonConnectorConfig";

const summary = (c: Connector | undefined) => ({
  id: c?.id,
  displayName: c?.displayName,
  catalogId: c?.catalogId,
  status: (c?.status?.status ?? "SYNC_STATUS_UNSPECIFIED").replace("SYNC_STATUS_", ""),
  schedule: c?.connectorSyncCronSchedule
    ? `${c.connectorSyncCronSchedule.cronSpec} ${c.connectorSyncCronSchedule.timezone}`
    : c?.freshness
      ? `fresh within ${c.freshness.maxAge}`
      : "(manual)",
  paused: c?.canResumeSync ? "yes" : "",
  labels: c?.labels
    ? Object.entries(c.labels)
        .map(([key, value]) => `${key}=${value}`)
        .join(",")
    : "",
});

const details = (c: Connector | undefined) => ({
  ...summary(c),
  appId: c?.appId,
  description: c?.description,
  config: c?.config,
  lastError: c?.status?.lastError,
  syncDisabledAt: c?.syncDisabledAt,
  syncDisabledCategory: c?.syncDisabledCategory,
  syncDisabledReason: c?.syncDisabledReason,
  pausedUntil: c?.pausedUntil ?? undefined,
  disableCheckBadSync: c?.disableCheckBadSync ? "yes" : "",
  createdAt: c?.createdAt,
  updatedAt: c?.updatedAt,
});

function parseJsonFlag(value: string | undefined, flag: string): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    throw new Error(
      `${flag} must be JSON, e.g. '{"@type":"${FILE_CONFIG}","path":"/abs/inventory.json"}'`,
    );
  }
}

interface ConfigFlags {
  config?: string;
  filePath?: string;
  command?: string;
  arg?: string[];
  timeoutSeconds?: string;
}

/** --config JSON, or the shortcuts --file-path (file connector) and --command/--arg (baton). */
function configFrom(flags: ConfigFlags, catalogId?: string): Record<string, unknown> | undefined {
  if (flags.config !== undefined)
    return parseJsonFlag(flags.config, "--config") as Record<string, unknown>;
  if (flags.filePath !== undefined) return { "@type": FILE_CONFIG, path: flags.filePath };
  if (flags.command !== undefined || catalogId === "baton") {
    if (flags.command === undefined) return undefined;
    return {
      "@type": BATON_CONFIG,
      command: flags.command,
      args: flags.arg ?? [],
      ...(flags.timeoutSeconds ? { timeoutSeconds: Number(flags.timeoutSeconds) } : {}),
    };
  }
  return undefined;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `--label team=identity` (repeatable) as a labels object; the server checks keys and values. */
export function labelsFrom(
  pairs: readonly string[] | undefined,
): Record<string, string> | undefined {
  if (pairs === undefined) return undefined;
  const labels: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new Error(`--label takes key=value, got ${JSON.stringify(pair)}`);
    labels[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return labels;
}

export function connectorsCommand(program: Command, out: () => Output): void {
  const connectors = program
    .command("connectors")
    .description("manage connectors and control their syncs");

  const show = (command: Command, result: ConnectorViewResponse) => {
    if (wantsJson(command)) out().json(result);
    else out().fields(details(result.connectorView?.connector));
  };

  connectors
    .command("list")
    .description("list an app's connectors")
    .requiredOption("--app <appId>", "the app")
    .option("--page-size <n>", "connectors per page")
    .option("--page-token <token>", "continue a listing")
    .action(
      async (flags: { app: string; pageSize?: string; pageToken?: string }, command: Command) => {
        const page = await clientFor(command).connector.list({
          appId: flags.app,
          pageSize: flags.pageSize ? Number(flags.pageSize) : undefined,
          pageToken: flags.pageToken,
        });
        if (wantsJson(command)) return out().json(page);
        out().table(
          page.list.map((view) => summary(view.connector)),
          ["id", "displayName", "catalogId", "status", "schedule", "paused"],
        );
        if (page.nextPageToken) out().line(`next page: --page-token ${page.nextPageToken}`);
      },
    );

  connectors
    .command("get <connectorId>")
    .description("show a connector")
    .requiredOption("--app <appId>", "the app")
    .action(async (id: string, flags: { app: string }, command: Command) => {
      show(command, await clientFor(command).connector.get({ appId: flags.app, id }));
    });

  connectors
    .command("create")
    .description("create a connector (it gets an hourly schedule and an initial sync)")
    .requiredOption("--app <appId>", "the app")
    .requiredOption("--catalog <catalogId>", "file, baton or baton-service")
    .option("--display-name <name>", "a name")
    .option("--description <text>", "a description")
    .option("--config <json>", "the config object, with its @type")
    .option("--file-path <path>", "file connector: absolute path of the inventory file")
    .option("--command <binary>", "baton connector: the binary to run")
    .option("--arg <arg>", "baton connector: an argument (repeatable)", collect)
    .option("--timeout-seconds <n>", "baton connector: per-sync timeout")
    .option("--disable-check-bad-sync", "turn the data-drop guard off")
    .option("--label <key=value>", "a label (repeatable)", collect)
    .action(
      async (
        flags: ConfigFlags & {
          app: string;
          catalog: string;
          displayName?: string;
          description?: string;
          disableCheckBadSync?: boolean;
          label?: string[];
        },
        command: Command,
      ) => {
        const labels = labelsFrom(flags.label);
        const result = await clientFor(command).connector.create({
          appId: flags.app,
          connectorServiceCreateRequest: {
            catalogId: flags.catalog,
            config: configFrom(flags, flags.catalog),
            displayName: flags.displayName,
            description: flags.description,
            disableCheckBadSync: flags.disableCheckBadSync,
            ...(labels && { labels }),
          },
        });
        show(command, result);
      },
    );

  connectors
    .command("update <connectorId>")
    .description("change a connector's name, description, config or data-drop guard")
    .requiredOption("--app <appId>", "the app")
    .option("--display-name <name>", "new name")
    .option("--description <text>", "new description")
    .option("--config <json>", "new config object, with its @type")
    .option("--file-path <path>", "file connector: new inventory path")
    .option("--command <binary>", "baton connector: new binary")
    .option("--arg <arg>", "baton connector: an argument (repeatable)", collect)
    .option("--timeout-seconds <n>", "baton connector: per-sync timeout")
    .option("--disable-check-bad-sync <bool>", "true or false")
    .option("--label <key=value>", "set the labels to these (repeatable)", collect)
    .option("--clear-labels", "remove every label")
    .action(
      async (
        id: string,
        flags: ConfigFlags & {
          app: string;
          displayName?: string;
          description?: string;
          disableCheckBadSync?: string;
          label?: string[];
          clearLabels?: boolean;
        },
        command: Command,
      ) => {
        const connector: Record<string, unknown> = {};
        if (flags.displayName !== undefined) connector.displayName = flags.displayName;
        if (flags.description !== undefined) connector.description = flags.description;
        const config = configFrom(flags);
        if (config !== undefined) connector.config = config;
        if (flags.disableCheckBadSync !== undefined) {
          if (!["true", "false"].includes(flags.disableCheckBadSync)) {
            throw new Error("--disable-check-bad-sync takes true or false");
          }
          connector.disableCheckBadSync = flags.disableCheckBadSync === "true";
        }
        if (flags.clearLabels && flags.label) {
          throw new Error("--clear-labels and --label do not go together");
        }
        if (flags.clearLabels) connector.labels = {};
        if (flags.label) connector.labels = labelsFrom(flags.label);
        if (Object.keys(connector).length === 0)
          throw new Error("nothing to update: give at least one option");
        const result = await clientFor(command).connector.update({
          appId: flags.app,
          id,
          connectorServiceUpdateRequest: {
            connector,
            updateMask: Object.keys(connector).join(","),
          },
        });
        show(command, result);
      },
    );

  connectors
    .command("delete <connectorId>")
    .description("delete a connector (queued syncs are canceled)")
    .requiredOption("--app <appId>", "the app")
    .action(async (id: string, flags: { app: string }, command: Command) => {
      await clientFor(command).connector.delete({ appId: flags.app, id });
      if (wantsJson(command)) out().json({});
      else out().line(`deleted connector ${id}`);
    });

  const control = (
    name: string,
    description: string,
    run: (
      client: ReturnType<typeof clientFor>,
      ref: { appId: string; connectorId: string },
      flags: Record<string, string>,
    ) => Promise<unknown>,
    done: string,
    extra?: (command: Command) => Command,
  ) => {
    const command = connectors
      .command(`${name} <connectorId>`)
      .description(description)
      .requiredOption("--app <appId>", "the app");
    (extra ? extra(command) : command).action(
      async (id: string, flags: Record<string, string>, self: Command) => {
        await run(clientFor(self), { appId: flags.app as string, connectorId: id }, flags);
        if (wantsJson(self)) out().json({});
        else out().line(`${done} ${id}`);
      },
    );
  };

  control(
    "pause",
    "pause syncs and provisioning (a running sync finishes; queued syncs are canceled)",
    (client, ref, flags) =>
      client.connector.pauseSync({
        ...ref,
        pauseSyncRequest: {
          ...(flags.note !== undefined && { note: flags.note }),
          ...(flags.until !== undefined && { until: flags.until }),
        },
      }),
    "paused",
    (command) =>
      command
        .option("--note <text>", "why (shown as syncDisabledReason)")
        .option(
          "--until <time|duration>",
          'resume by itself then: an RFC 3339 time or a duration such as "2h" (replaces the timer of a paused connector)',
        ),
  );
  control(
    "resume",
    "resume a paused connector and queue one sync",
    (client, ref) => client.connector.resumeSync(ref),
    "resumed",
  );
  control(
    "force-sync",
    "queue a sync now (coalesced with one already queued)",
    (client, ref) => client.connector.forceSync(ref),
    "sync requested for",
  );

  connectors
    .command("confirm-sync-valid <connectorId> <syncLifecycleId>")
    .description("confirm a sync held in ERRORED_NO_DATA: apply it and clear the data-drop hold")
    .requiredOption("--app <appId>", "the app")
    .action(
      async (id: string, syncLifecycleId: string, flags: { app: string }, command: Command) => {
        await clientFor(command).connector.confirmSyncValid({
          appId: flags.app,
          connectorId: id,
          syncLifecycleId,
        });
        if (wantsJson(command)) out().json({});
        else out().line(`confirmed sync ${syncLifecycleId} of ${id}`);
      },
    );

  connectorStatusCommand(connectors, out);
  rotateCredentialCommand(connectors, out);

  const schedule = connectors
    .command("schedule")
    .description("show, set or clear a connector's cron schedule or freshness target");

  schedule
    .command("set <connectorId>")
    .description(
      'set a cron schedule, e.g. --cron "30 2 * * *" --timezone Europe/Berlin, or a freshness target instead, e.g. --freshness 2h',
    )
    .requiredOption("--app <appId>", "the app")
    .option("--cron <spec>", "5-field cron expression or @hourly/@daily/@weekly/@monthly/@yearly")
    .option("--timezone <zone>", "IANA time zone of the cron (default UTC)")
    .option(
      "--freshness <maxAge>",
      "instead of a cron: the applied data is never older than this (15m to 31d, e.g. 2h, 1h30m)",
    )
    .action(
      async (
        id: string,
        flags: { app: string; cron?: string; timezone?: string; freshness?: string },
        command: Command,
      ) => {
        if ((flags.cron === undefined) === (flags.freshness === undefined)) {
          throw new Error("give --cron or --freshness (one of them)");
        }
        await clientFor(command).connector.updateConnectorSchedule({
          appId: flags.app,
          connectorId: id,
          updateConnectorScheduleRequest:
            flags.cron !== undefined
              ? { cron: { cronSpec: flags.cron, timezone: flags.timezone ?? "" } }
              : { freshness: { maxAge: flags.freshness ?? "" } },
        });
        if (wantsJson(command)) out().json({});
        else if (flags.cron !== undefined) {
          out().line(`schedule of ${id} set to "${flags.cron}" (${flags.timezone || "UTC"})`);
        } else
          out().line(`${id} now syncs so that its data is never older than ${flags.freshness}`);
      },
    );

  schedule
    .command("clear <connectorId>")
    .description("remove the schedule (manual syncs only)")
    .requiredOption("--app <appId>", "the app")
    .action(async (id: string, flags: { app: string }, command: Command) => {
      await clientFor(command).connector.updateConnectorSchedule({
        appId: flags.app,
        connectorId: id,
      });
      if (wantsJson(command)) out().json({});
      else out().line(`schedule of ${id} cleared`);
    });

  schedule
    .command("show <connectorId>")
    .description("show the schedule and its next 5 fire times, in UTC and in the schedule's zone")
    .requiredOption("--app <appId>", "the app")
    .option("--count <n>", "how many fire times", "5")
    .action(async (id: string, flags: { app: string; count: string }, command: Command) => {
      const view = await clientFor(command).connector.getSchedule({
        appId: flags.app,
        connectorId: id,
        count: Number(flags.count),
      });
      if (wantsJson(command)) return out().json(view);
      if (view.freshness) {
        out().fields({
          freshness: `data never older than ${view.freshness.maxAge}`,
          expectedSync: `${view.freshness.expectedSyncDuration} (the longest of the last 5)`,
          every: view.freshness.periodBetweenSyncs,
          atRisk: view.freshness.atRisk ? "yes: the syncs take too long for this target" : "",
          paused: view.paused ? "yes (planned syncs are skipped)" : "",
        });
        out().table(
          view.nextFireTimes.map((fire) => ({ planned: fire })),
          ["planned"],
        );
        return;
      }
      if (!view.cron) {
        out().line("no schedule: manual syncs only");
        return;
      }
      const zone = view.cron.timezone;
      out().fields({
        cron: view.cron.cronSpec,
        timezone: zone,
        since: view.start,
        paused: view.paused ? "yes (fires are skipped)" : "",
      });
      out().table(
        view.nextFireTimes.map((fire) => ({ utc: fire, local: localTime(fire, zone) })),
        ["utc", "local"],
      );
    });
}

function localTime(iso: string, zone: string): string {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: zone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    timeZoneName: "short",
  }).formatToParts(new Date(iso));
  const get = (type: string) => parts.find((part) => part.type === type)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")} ${get("hour")}:${get("minute")} ${get("timeZoneName")}`;
}

export function rotateCredentialCommand(connectors: Command, out: () => Output): void {
  connectors
    .command("rotate-credential <connectorId>")
    .description(
      "issue the client credential a baton-service connector dials in with (shown once; earlier ones are revoked)",
    )
    .requiredOption("--app <appId>", "the app")
    .action(async (id: string, flags: { app: string }, command: Command) => {
      const { credential } = await clientFor(command).connector.rotateCredential({
        appId: flags.app,
        connectorId: id,
      });
      if (wantsJson(command)) return out().json({ credential });
      out().fields({
        clientId: credential?.clientId,
        clientSecret: credential?.clientSecret,
        note: "the secret is shown only now; run the connector with --client-id and --client-secret",
      });
    });
}

export function connectorStatusCommand(connectors: Command, out: () => Output): void {
  connectors
    .command("status <connectorId>")
    .description(
      "a connector's sync status: the last sync, holds, the next scheduled fire, provisioning tasks",
    )
    .requiredOption("--app <appId>", "the app")
    .action(async (id: string, flags: { app: string }, command: Command) => {
      const client = clientFor(command);
      const [view, history, schedule] = await Promise.all([
        client.connector.get({ appId: flags.app, id }),
        client.syncs.list({ appId: flags.app, connectorId: id, pageSize: 1 }),
        client.connector.getSchedule({ appId: flags.app, connectorId: id, count: 1 }),
      ]);
      const c = view.connectorView?.connector;
      const last = history.list[0];
      const status = {
        status: (c?.status?.status ?? "SYNC_STATUS_UNSPECIFIED").replace("SYNC_STATUS_", ""),
        startedAt: c?.status?.startedAt ?? undefined,
        completedAt: c?.status?.completedAt ?? undefined,
        lastError: c?.status?.lastError,
        hold: c?.syncDisabledCategory
          ? `${c.syncDisabledCategory} since ${c.syncDisabledAt}: ${c.syncDisabledReason}` +
            (c.pausedUntil ? ` (resumes by itself at ${c.pausedUntil})` : "")
          : undefined,
        lastSync: last ? `${last.id} ${last.trigger} ${last.state}` : "(none yet)",
        lastCounts: last?.counts
          ? JSON.stringify(last.counts.resources ?? {}) +
            ` entitlements ${last.counts.entitlements ?? 0} grants ${last.counts.grants ?? 0}`
          : undefined,
        nextScheduledSync: schedule.nextFireTimes[0] ?? "(no schedule)",
        provisioning: `${c?.provisioningTasks?.queued ?? 0} queued, ${c?.provisioningTasks?.held ?? 0} held, ${c?.provisioningTasks?.running ?? 0} running`,
      };
      if (wantsJson(command))
        out().json({ connector: c, lastSync: last, nextFireTime: schedule.nextFireTimes[0] });
      else out().fields(status);
    });
}
