// The connector objects a grant or revoke task carries to a service-mode connector: the exact
// `data` bytes its own sync wrote into the applied c1z (shared/reference/baton.md §2.7), so the
// connector sees every field it reads (parent ids, profiles), not only ids. A "slim" grant row
// (no embedded entitlement or principal) is completed from the entitlement and principal rows.

import { join } from "node:path";
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { readC1z } from "../connectors/baton/c1z.js";
import { ConnectorError } from "../connectors/runner.js";
import type { ResourceRef } from "../domain/inventory.js";
import type { ProvisioningTaskRecord } from "../domain/provisioning.js";

export type TaskObjects =
  | {
      readonly kind: "GRANT";
      /** c1.connector.v2.Entitlement */ readonly entitlement: Uint8Array;
      /** c1.connector.v2.Resource */ readonly principal: Uint8Array;
    }
  | { readonly kind: "REVOKE"; /** c1.connector.v2.Grant */ readonly grant: Uint8Array };

const resourceKey = (ref: ResourceRef) => `${ref.resourceTypeId}:${ref.resourceId}`;

/** Reads what the task needs from the applied c1z (decompressed under `workDir`). */
export async function readTaskObjects(
  c1zPath: string,
  workDir: string,
  task: ProvisioningTaskRecord,
): Promise<TaskObjects> {
  const c1z = await readC1z(c1zPath, join(workDir, `${task.id}.sqlite`));
  try {
    const need = (kind: "entitlement" | "resource" | "grant", id: string) => {
      const data = c1z.rawData(kind, id);
      if (!data) {
        throw ConnectorError.fatal(
          `the applied sync's c1z has no ${kind} "${id}"; sync again and retry the request`,
        );
      }
      return data;
    };
    if (!task.principal) throw ConnectorError.fatal("the task names no principal");
    const entitlement = need("entitlement", task.entitlementId);
    const principal = need("resource", resourceKey(task.principal));
    if (task.kind === "GRANT") return { kind: "GRANT", entitlement, principal };
    return {
      kind: "REVOKE",
      grant: completeGrant(need("grant", task.grantId), entitlement, principal),
    };
  } finally {
    c1z.close();
  }
}

/**
 * c1.connector.v2.Grant: 1 entitlement, 2 principal, 3 id, 4 annotations, 5 sources. A grant
 * written slim lacks 1 and 2; they are put back (from the rows), every other field kept as it is.
 */
export function completeGrant(
  grant: Uint8Array,
  entitlement: Uint8Array,
  principal: Uint8Array,
): Uint8Array {
  const reader = new BinaryReader(grant);
  const others: Uint8Array[] = [];
  const present = new Set<number>();
  while (reader.pos < reader.len) {
    const start = reader.pos;
    const [field, wireType] = reader.tag();
    reader.skip(wireType, field);
    present.add(field);
    if (field !== 1 && field !== 2) others.push(grant.subarray(start, reader.pos));
  }
  if (present.has(1) && present.has(2)) return grant;
  const writer = new BinaryWriter();
  writer.tag(1, WireType.LengthDelimited).bytes(entitlement);
  writer.tag(2, WireType.LengthDelimited).bytes(principal);
  for (const raw of others) writer.raw(raw);
  return writer.finish();
}

/** What a connector's answer to a grant or revoke says beyond success, from its annotations. */
export function outcomeNote(typeUrls: readonly string[]): string {
  if (typeUrls.some((url) => url.endsWith("c1.connector.v2.GrantAlreadyExists")))
    return "already exists";
  if (typeUrls.some((url) => url.endsWith("c1.connector.v2.GrantAlreadyRevoked")))
    return "already revoked";
  return "";
}
