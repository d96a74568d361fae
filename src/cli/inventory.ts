// `syncplane inventory …`: what a connector synced (its applied sync, or with --sync a sync held
// in ERRORED_NO_DATA), as tables or --json; a page at a time, or every page with --all.

import type { Command } from "commander";
import type {
  InventoryEntitlement,
  InventoryGrant,
  InventoryList,
  InventoryResource,
  InventoryResourceType,
} from "../client/index.js";
import type { Output } from "./output.js";
import { clientFor, wantsJson } from "./remote.js";

interface BaseFlags {
  app: string;
  connector: string;
  sync?: string;
}

interface PageFlags extends BaseFlags {
  pageSize?: string;
  pageToken?: string;
  all?: boolean;
}

interface Ref {
  resourceTypeId: string;
  resourceId: string;
}

const ref = (r: Ref | undefined) => (r ? `${r.resourceTypeId}:${r.resourceId}` : undefined);

/** "type:id" (the id may itself contain colons). */
function parsePrincipal(value: string): Ref {
  const at = value.indexOf(":");
  if (at <= 0 || at === value.length - 1) {
    throw new Error(
      `--principal takes <resource type>:<resource id>, e.g. user:alice; got "${value}"`,
    );
  }
  return { resourceTypeId: value.slice(0, at), resourceId: value.slice(at + 1) };
}

function pageSize(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new Error(`--page-size takes a whole number, got "${value}"`);
  return Number(value);
}

/** One page, or with --all every page from --page-token (or the start) to the end. */
async function fetchPages<T>(
  flags: PageFlags,
  fetchPage: (page: { pageSize?: number; pageToken?: string }) => Promise<InventoryList<T>>,
): Promise<InventoryList<T>> {
  const size = pageSize(flags.pageSize);
  const first = await fetchPage({ pageSize: size, pageToken: flags.pageToken });
  if (!flags.all) return first;
  const list = [...first.list];
  let next = first.nextPageToken;
  while (next) {
    const page = await fetchPage({ pageSize: size, pageToken: next });
    list.push(...page.list);
    next = page.nextPageToken;
  }
  return { syncId: first.syncId, list };
}

const base = (command: Command, what: string) =>
  command
    .requiredOption("--app <appId>", "the app")
    .requiredOption("--connector <connectorId>", "the connector")
    .option(
      "--sync <syncLifecycleId>",
      `read ${what} of this sync (one held in ERRORED_NO_DATA) instead of the applied one`,
    );

const paged = (command: Command, what: string) =>
  base(command, what)
    .option("--page-size <n>", `${what} per page (server default 50, at most 500)`)
    .option("--page-token <token>", "continue a listing")
    .option("--all", "follow the pages to the end");

export function inventoryCommand(program: Command, out: () => Output): void {
  const inventory = program
    .command("inventory")
    .description("browse what a connector synced: resource types, resources, entitlements, grants");

  /** Prints a list: --json as is, else a table, the sync it came from and how to go on. */
  const print = <T>(
    command: Command,
    result: InventoryList<T>,
    row: (item: T) => object,
    columns: readonly string[],
  ) => {
    if (wantsJson(command)) return out().json(result);
    out().table(result.list.map(row), columns);
    out().line(`sync: ${result.syncId}`);
    if (result.nextPageToken)
      out().line(`next page: --page-token ${result.nextPageToken} (or --all for every page)`);
  };

  base(inventory.command("resource-types"), "the resource types")
    .description("list the resource types")
    .action(async (flags: BaseFlags, command: Command) => {
      const result = await clientFor(command).inventory.listResourceTypes({
        appId: flags.app,
        connectorId: flags.connector,
        syncId: flags.sync,
      });
      print(
        command,
        result,
        (t: InventoryResourceType) => ({
          id: t.id,
          displayName: t.displayName,
          traits: (t.traits ?? []).join(","),
          skipDataDropCheck: t.skipDataDropCheck ? "yes" : "",
        }),
        ["id", "displayName", "traits", "skipDataDropCheck"],
      );
    });

  paged(inventory.command("resources"), "resources")
    .description("list the resources, optionally of one type")
    .option("--type <resourceTypeId>", "only resources of this type")
    .action(async (flags: PageFlags & { type?: string }, command: Command) => {
      const client = clientFor(command);
      const result = await fetchPages(flags, (page) =>
        client.inventory.listResources({
          appId: flags.app,
          connectorId: flags.connector,
          syncId: flags.sync,
          resourceTypeId: flags.type,
          ...page,
        }),
      );
      print(
        command,
        result,
        (r: InventoryResource) => ({
          type: r.resourceTypeId,
          id: r.resourceId,
          displayName: r.displayName,
          parent: ref(r.parent),
        }),
        ["type", "id", "displayName", "parent"],
      );
    });

  paged(inventory.command("entitlements"), "entitlements")
    .description("list the entitlements, optionally of one resource type or resource")
    .option("--type <resourceTypeId>", "only entitlements on resources of this type")
    .option("--resource <resourceId>", "only entitlements on this resource (needs --type)")
    .action(async (flags: PageFlags & { type?: string; resource?: string }, command: Command) => {
      if (flags.resource !== undefined && flags.type === undefined) {
        throw new Error("--resource needs --type (resource ids are per resource type)");
      }
      const client = clientFor(command);
      const result = await fetchPages(flags, (page) =>
        client.inventory.listEntitlements({
          appId: flags.app,
          connectorId: flags.connector,
          syncId: flags.sync,
          resourceTypeId: flags.type,
          resourceId: flags.resource,
          ...page,
        }),
      );
      print(
        command,
        result,
        (e: InventoryEntitlement) => ({
          id: e.id,
          resource: `${e.resourceTypeId}:${e.resourceId}`,
          slug: e.slug,
          displayName: e.displayName,
        }),
        ["id", "resource", "slug", "displayName"],
      );
    });

  paged(inventory.command("grants"), "grants")
    .description("list the grants, of one entitlement and/or to one principal")
    .option("--entitlement <entitlementId>", "only grants of this entitlement")
    .option("--principal <type:id>", "only grants to this principal, e.g. user:alice")
    .action(
      async (flags: PageFlags & { entitlement?: string; principal?: string }, command: Command) => {
        const principal =
          flags.principal === undefined ? undefined : parsePrincipal(flags.principal);
        const client = clientFor(command);
        const result = await fetchPages(flags, (page) =>
          client.inventory.listGrants({
            appId: flags.app,
            connectorId: flags.connector,
            syncId: flags.sync,
            entitlementId: flags.entitlement,
            principalResourceTypeId: principal?.resourceTypeId,
            principalResourceId: principal?.resourceId,
            ...page,
          }),
        );
        print(
          command,
          result,
          (g: InventoryGrant) => ({
            entitlement: g.entitlementId,
            principal: ref(g.principal),
            id: g.id,
          }),
          ["entitlement", "principal", "id"],
        );
      },
    );
}
