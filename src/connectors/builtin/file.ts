// The built-in file connector: syncs the inventory in a JSON or YAML file (file-inventory.ts) and
// grants or revokes by rewriting that file atomically — a temporary file in the same directory,
// fsynced, then renamed over the original — so provisioning can be tested without a network
// service. A rewrite that finds the file changed under it (someone edited it meanwhile) starts
// again from the new contents.

import { randomBytes } from "node:crypto";
import { open, readFile, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { grantId, type GrantRecord, type ResourceRef } from "../../domain/inventory.js";
import {
  ConnectorError,
  countInventory,
  type ConnectorRunner,
  type ProvisionContext,
  type ProvisionOutcome,
  type SyncSnapshot,
} from "../runner.js";
import {
  InventoryError,
  parseInventory,
  type Inventory,
  type ParsedInventory,
} from "./file-inventory.js";

const REWRITE_ATTEMPTS = 5;
/** Rewrites of one file never overlap within this process. */
const rewriting = new Map<string, Promise<unknown>>();

export class FileConnector implements ConnectorRunner {
  constructor(private readonly path: string) {}

  async sync(signal: AbortSignal): Promise<SyncSnapshot> {
    const { inventory } = await this.load(signal);
    return snapshotOf(inventory);
  }

  async grant(
    entitlementId: string,
    principal: ResourceRef,
    context: ProvisionContext,
  ): Promise<ProvisionOutcome> {
    const changed = await this.rewrite(context.signal, (parsed) => {
      requireTarget(this.path, parsed.inventory, entitlementId, principal);
      if (parsed.inventory.grants.some((g) => g.id === grantId(entitlementId, principal)))
        return false;
      parsed.addGrant({
        entitlement: entitlementId,
        principal: { resourceType: principal.resourceTypeId, id: principal.resourceId },
      });
      return true;
    });
    return { result: changed ? "" : "already exists" };
  }

  async revoke(grant: GrantRecord, context: ProvisionContext): Promise<ProvisionOutcome> {
    const changed = await this.rewrite(context.signal, (parsed) => {
      const index = parsed.inventory.grants.findIndex((g) => g.id === grant.id);
      if (index < 0) return false;
      parsed.removeGrant(index);
      return true;
    });
    return { result: changed ? "" : "already revoked" };
  }

  private async load(signal: AbortSignal): Promise<ParsedInventory & { text: string }> {
    signal.throwIfAborted();
    let text: string;
    try {
      text = await readFile(this.path, { encoding: "utf8", signal });
    } catch (error) {
      throw fileError(this.path, error);
    }
    try {
      return { ...parseInventory(this.path, text), text };
    } catch (error) {
      if (error instanceof InventoryError) throw ConnectorError.fatal(error.message);
      throw error;
    }
  }

  /** Read, change with `edit` (false: nothing to change), write back atomically. */
  private async rewrite(
    signal: AbortSignal,
    edit: (parsed: ParsedInventory) => boolean,
  ): Promise<boolean> {
    const previous = rewriting.get(this.path) ?? Promise.resolve();
    const run = previous
      .catch(() => undefined)
      .then(async () => {
        for (let attempt = 0; attempt < REWRITE_ATTEMPTS; attempt++) {
          const parsed = await this.load(signal);
          if (!edit(parsed)) return false;
          if (await this.replaceIfUnchanged(parsed.text, parsed.serialize())) return true;
        }
        throw ConnectorError.retryable(
          `inventory file ${this.path} kept changing while syncplane rewrote it`,
        );
      });
    rewriting.set(this.path, run);
    try {
      return await run;
    } finally {
      if (rewriting.get(this.path) === run) rewriting.delete(this.path);
    }
  }

  private async replaceIfUnchanged(expected: string, output: string): Promise<boolean> {
    const temp = join(
      dirname(this.path),
      `.${basename(this.path)}.${randomBytes(6).toString("hex")}.tmp`,
    );
    try {
      const mode = (await stat(this.path)).mode & 0o777;
      const handle = await open(temp, "wx", mode);
      try {
        await handle.writeFile(output, "utf8");
        await handle.sync();
      } finally {
        await handle.close();
      }
      if ((await readFile(this.path, "utf8")) !== expected) return false;
      await rename(temp, this.path);
      const dir = await open(dirname(this.path), "r");
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
      return true;
    } catch (error) {
      throw fileError(this.path, error);
    } finally {
      await rm(temp, { force: true });
    }
  }
}

function requireTarget(
  path: string,
  inventory: Inventory,
  entitlementId: string,
  principal: ResourceRef,
): void {
  if (!inventory.entitlements.some((e) => e.id === entitlementId)) {
    throw ConnectorError.fatal(
      `inventory file ${path}: entitlement "${entitlementId}" does not exist`,
    );
  }
  if (
    !inventory.resources.some(
      (r) => r.resourceTypeId === principal.resourceTypeId && r.resourceId === principal.resourceId,
    )
  ) {
    throw ConnectorError.fatal(
      `inventory file ${path}: principal ${principal.resourceTypeId} "${principal.resourceId}" does not exist`,
    );
  }
}

function fileError(path: string, error: unknown): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const code = (error as { code?: string }).code;
  switch (code) {
    case "ENOENT":
      return ConnectorError.fatal(`inventory file ${path} does not exist`);
    case "EACCES":
    case "EPERM":
      return ConnectorError.fatal(
        `inventory file ${path} cannot be read or written: permission denied`,
      );
    case "EISDIR":
      return ConnectorError.fatal(`inventory file ${path} is a directory`);
    case "ABORT_ERR":
      return ConnectorError.fatal("canceled");
    default:
      return ConnectorError.retryable(`inventory file ${path}: ${(error as Error).message}`);
  }
}

function byPrincipal(grants: readonly GrantRecord[]): GrantRecord[] {
  const key = (g: GrantRecord) => [g.principal.resourceTypeId, g.principal.resourceId, g.id];
  return [...grants].sort((a, b) => {
    const [ka, kb] = [key(a), key(b)];
    for (let i = 0; i < ka.length; i++) {
      if ((ka[i] as string) < (kb[i] as string)) return -1;
      if ((ka[i] as string) > (kb[i] as string)) return 1;
    }
    return 0;
  });
}

export function snapshotOf(inventory: Inventory): SyncSnapshot {
  const once = <T>(items: readonly T[]) =>
    async function* () {
      if (items.length > 0) yield items;
    };
  return {
    resourceTypes: inventory.resourceTypes,
    counts: countInventory(inventory.resources, inventory.entitlements, inventory.grants),
    resources: once(inventory.resources),
    entitlements: once(inventory.entitlements),
    grants: (order) =>
      once(order === "principal" ? byPrincipal(inventory.grants) : inventory.grants)(),
    release: async () => undefined,
  };
}
