// File-connector inventories for tests: `users` users, a group with a member entitlement, and
// that entitlement granted to the first `grants` users.

import { writeFileSync } from "node:fs";

export function writeDirectory(path: string, users: number, grants: number): void {
  writeFileSync(
    path,
    JSON.stringify({
      resourceTypes: [
        { id: "user", traits: ["USER"] },
        { id: "group", traits: ["GROUP"] },
      ],
      resources: [
        ...Array.from({ length: users }, (_, i) => ({ resourceType: "user", id: `u${i}` })),
        { resourceType: "group", id: "g1" },
      ],
      entitlements: [{ resourceType: "group", resourceId: "g1", slug: "member" }],
      grants: Array.from({ length: Math.min(users, grants) }, (_, i) => ({
        entitlement: "group:g1:member",
        principal: { resourceType: "user", id: `u${i}` },
      })),
    }),
  );
}
