// Which runner runs a connector, by its catalog id.

import type { ConnectorRecord } from "../domain/model.js";
import { FileConnector } from "./builtin/file.js";
import { ConnectorError, type ConnectorRunner } from "./runner.js";

/** How long a sync may run when the connector's config does not say. */
export const DEFAULT_SYNC_TIMEOUT_MS = 60 * 60 * 1000;

export function runnerFor(connector: ConnectorRecord): ConnectorRunner {
  const config = connector.config;
  switch (connector.catalogId) {
    case "file":
      if (!config || typeof config.path !== "string") {
        throw ConnectorError.fatal("the file connector has no config.path");
      }
      return new FileConnector(config.path);
    default:
      // Baton connectors (one-shot and service mode) get their runners in later releases; the
      // sync fails with this message instead of pretending to run.
      throw ConnectorError.fatal(
        `connectors of catalog "${connector.catalogId}" cannot run syncs in this release yet`,
      );
  }
}

export function syncTimeoutMs(connector: ConnectorRecord): number {
  const seconds = connector.config?.timeoutSeconds;
  return typeof seconds === "number" && seconds > 0 ? seconds * 1000 : DEFAULT_SYNC_TIMEOUT_MS;
}
