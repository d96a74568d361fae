import type { FastifyInstance } from "fastify";
import { createApp, deleteApp, updateApp } from "../../commands/apps.js";
import { requireApp } from "../../commands/lookups.js";
import { parsePageRequest } from "../../domain/pagination.js";
import {
  APP_PASSTHROUGH_FIELDS,
  APP_READ_ONLY,
  APP_UPDATABLE,
  type CreateAppRequest,
  type UpdateAppRequest,
} from "../contracts/apps.js";
import { PageQuery } from "../contracts/common.js";
import { resolveUpdateMask } from "../update-mask.js";
import { actorOf, addRoute, pathParams, type ApiContext } from "../http.js";
import { appJson, pageJson } from "../wire.js";

const TAGS = ["App"];

function passthroughOf(
  input: Record<string, unknown>,
  fields: readonly string[],
): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  for (const field of fields) {
    if (
      (APP_PASSTHROUGH_FIELDS as readonly string[]).includes(field) &&
      input[field] !== undefined
    ) {
      attributes[field] = input[field];
    }
  }
  return attributes;
}

export function appRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { runtime } = ctx;

  addRoute(app, {
    method: "GET",
    url: "/api/v1/apps",
    operationId: "c1.api.app.v1.Apps.List",
    summary: "List apps",
    tags: TAGS,
    permission: "apps.read",
    querystring: PageQuery,
    response: { $ref: "c1.api.app.v1.ListAppsResponse#" },
    handler: async (request) => {
      const query = request.query as { page_size?: string; page_token?: string };
      const page = await runtime.store.listApps(
        parsePageRequest(query.page_size, query.page_token),
      );
      return pageJson(page, appJson);
    },
  });

  addRoute(app, {
    method: "POST",
    url: "/api/v1/apps",
    operationId: "c1.api.app.v1.Apps.Create",
    summary: "Create an app",
    tags: TAGS,
    permission: "apps.write",
    body: { $ref: "c1.api.app.v1.CreateAppRequest#" },
    response: { $ref: "c1.api.app.v1.CreateAppResponse#" },
    handler: async (request) => {
      const body = request.body as CreateAppRequest;
      const { displayName, description, ...rest } = body;
      const created = await createApp(runtime, actorOf(request), {
        displayName,
        description,
        // owners and appEntitlementOwnerRefs are accepted but not modelled (docs/api.md).
        attributes: passthroughOf(rest, Object.keys(rest)),
      });
      return { app: appJson(created) };
    },
  });

  addRoute(app, {
    method: "GET",
    url: "/api/v1/apps/:id",
    operationId: "c1.api.app.v1.Apps.Get",
    summary: "Get an app",
    tags: TAGS,
    permission: "apps.read",
    params: pathParams("id"),
    response: { $ref: "c1.api.app.v1.GetAppResponse#" },
    handler: async (request) => {
      const { id } = request.params as { id: string };
      return { app: appJson(await requireApp(runtime.store, id)) };
    },
  });

  addRoute(app, {
    method: "POST",
    url: "/api/v1/apps/:id",
    operationId: "c1.api.app.v1.Apps.Update",
    summary: "Update an app",
    tags: TAGS,
    permission: "apps.write",
    params: pathParams("id"),
    body: { $ref: "c1.api.app.v1.UpdateAppRequestInput#" },
    response: { $ref: "c1.api.app.v1.UpdateAppResponse#" },
    handler: async (request) => {
      const { id } = request.params as { id: string };
      const body = request.body as UpdateAppRequest;
      const input = (body.app ?? {}) as Record<string, unknown>;
      const fields = resolveFields(body.updateMask, input);
      const updated = await updateApp(runtime, actorOf(request), id, {
        ...(fields.includes("displayName") ? { displayName: String(input.displayName ?? "") } : {}),
        ...(fields.includes("description") ? { description: String(input.description ?? "") } : {}),
        attributes: passthroughOf(input, fields),
      });
      return { app: appJson(updated) };
    },
  });

  addRoute(app, {
    method: "DELETE",
    url: "/api/v1/apps/:id",
    operationId: "c1.api.app.v1.Apps.Delete",
    summary: "Delete an app (it must have no connectors)",
    tags: TAGS,
    permission: "apps.write",
    params: pathParams("id"),
    body: { $ref: "c1.api.app.v1.DeleteAppRequestInput#" },
    response: { $ref: "c1.api.app.v1.DeleteAppResponse#" },
    handler: async (request) => {
      const { id } = request.params as { id: string };
      await deleteApp(runtime, actorOf(request), id);
      return {};
    },
  });
}

function resolveFields(mask: string | null | undefined, input: Record<string, unknown>): string[] {
  return resolveUpdateMask(mask, input, APP_UPDATABLE, APP_READ_ONLY);
}
