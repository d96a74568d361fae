// What each role may do. Routes name the permission they need; the edge checks it once.

import type { Role } from "./model.js";

export const PERMISSIONS = [
  "apps.read",
  "apps.write",
  "connectors.read",
  "connectors.write",
  "connectors.control",
  /** Ask a connector to grant or revoke access, and cancel such a request. */
  "connectors.provision",
  "syncs.read",
  "audit.read",
  /** GET /metrics, unless the server makes it public (--metrics-public). */
  "metrics.read",
  "credentials.manage",
  /** See webhook subscriptions and their deliveries. */
  "webhooks.read",
  /** Create, delete and test webhook subscriptions. */
  "webhooks.manage",
  "batonservice.connect",
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const READS: readonly Permission[] = [
  "apps.read",
  "connectors.read",
  "syncs.read",
  "audit.read",
  "metrics.read",
];

const GRANTS: Record<Role, readonly Permission[]> = {
  admin: [
    ...READS,
    "apps.write",
    "connectors.write",
    "connectors.control",
    "connectors.provision",
    "credentials.manage",
    "webhooks.read",
    "webhooks.manage",
  ],
  operator: [...READS, "connectors.control", "connectors.provision", "webhooks.read"],
  viewer: READS,
  // A connector credential only speaks BatonService, for its own connector.
  connector: ["batonservice.connect"],
};

export const permissionsOf = (role: Role): readonly Permission[] => GRANTS[role];

export const roleAllows = (role: Role, permission: Permission): boolean =>
  GRANTS[role].includes(permission);
