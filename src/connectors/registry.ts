// Which runner runs a connector, by its catalog id.

import type { ConnectorRecord } from "../domain/model.js";
import { BatonOneShotConnector, type RunEnvironment } from "./baton/one-shot.js";
import { FileConnector } from "./builtin/file.js";
import { ConnectorError, type ConnectorRunner } from "./runner.js";

/** How long a sync may run when the connector's config does not say. */
export const DEFAULT_SYNC_TIMEOUT_MS = 60 * 60 * 1000;

export function runnerFor(
  connector: ConnectorRecord,
  environment: RunEnvironment,
): ConnectorRunner {
  const config = connector.config;
  switch (connector.catalogId) {
    case "file":
      if (!config || typeof config.path !== "string") {
        throw ConnectorError.fatal("the file connector has no config.path");
      }
      return new FileConnector(config.path);
    case "baton":
      if (!config || typeof config.command !== "string") {
        throw ConnectorError.fatal("the baton connector has no config.command");
      }
      return new BatonOneShotConnector(
        {
          command: config.command,
          args: (config.args as string[] | undefined) ?? [],
          env: (config.env as Record<string, string> | undefined) ?? {},
        },
        environment,
      );
    default:
      // Service-mode connectors' work is handed to their own process (service/baton-service.ts);
      // local workers never claim it, so this is only reached if that rule is broken.
      throw ConnectorError.fatal(
        `connectors of catalog "${connector.catalogId}" run in their own process (service mode), not in a syncplane worker`,
      );
  }
}

export function syncTimeoutMs(connector: ConnectorRecord): number {
  const seconds = connector.config?.timeoutSeconds;
  return typeof seconds === "number" && seconds > 0 ? seconds * 1000 : DEFAULT_SYNC_TIMEOUT_MS;
}
