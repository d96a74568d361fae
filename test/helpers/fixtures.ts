// Records for tests that write to a store directly.

import { NEVER_SYNCED, type ConnectorRecord } from "../../src/domain/model.js";
import { newId } from "../../src/runtime.js";

export function connectorRecord(
  appId: string,
  at: number,
  overrides: Partial<ConnectorRecord> = {},
): ConnectorRecord {
  return {
    id: newId(),
    appId,
    displayName: "c",
    description: "",
    catalogId: "file",
    config: {
      "@type": "type.googleapis.com/syncplane.v1.FileConnectorConfig",
      path: "/tmp/x.json",
    },
    configUpdatedAt: at,
    disableCheckBadSync: false,
    syncResourceTypeIds: [],
    userIds: [],
    syncStatus: NEVER_SYNCED,
    appliedSyncId: null,
    previousAppliedSyncId: null,
    dataDropPolicy: null,
    labels: {},
    createdAt: at,
    updatedAt: at,
    deletedAt: null,
    ...overrides,
  };
}
