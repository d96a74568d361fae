// Provisioning tasks of a connector (SPEC §8): ask for a grant or a revoke, list the queue, read
// one task and its log, cancel one that has not started.

import type { FastifyInstance } from "fastify";
import { requireConnector, requireTask } from "../../commands/lookups.js";
import { cancelTask, requestGrant, requestRevoke } from "../../commands/provisioning.js";
import { parsePageRequest } from "../../domain/pagination.js";
import { isTaskState, TASK_STATES, type TaskState } from "../../domain/provisioning.js";
import { PageSize, PageToken } from "../contracts/common.js";
import type { GrantRequest, RevokeRequest } from "../contracts/provisioning.js";
import { actorOf, addRoute, pathParams, type ApiContext } from "../http.js";
import { pageJson, taskJson } from "../wire.js";

const TAGS = ["Provisioning"];
const BASE = "/api/v1/apps/:app_id/connectors/:connector_id/provisioning";
type Ref = { app_id: string; connector_id: string; task_id?: string };

const ListQuery = {
  type: "object",
  properties: {
    state: {
      type: "string",
      maxLength: 200,
      pattern: `^(${TASK_STATES.join("|")})(,(${TASK_STATES.join("|")}))*$`,
      description: `Only tasks in these states: one or more of ${TASK_STATES.join(", ")}, separated by commas.`,
    },
    page_size: PageSize,
    page_token: PageToken,
  },
  additionalProperties: false,
};

/** `state=HELD,QUEUED` (the query schema's pattern admits only state names): absent, every state. */
const parseStates = (value: string | undefined): TaskState[] =>
  value === undefined ? [] : value.split(",").filter(isTaskState);

export function provisioningRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { runtime, files } = ctx;
  const { store } = runtime;
  const answer = async (connectorId: string, task: Parameters<typeof taskJson>[0]) => ({
    task: taskJson(task, await store.listHolds(connectorId)),
  });

  addRoute(app, {
    method: "POST",
    url: `${BASE}/grant`,
    operationId: "syncplane.v1.ProvisioningService.Grant",
    summary:
      "Ask the connector to grant an entitlement to a principal (held while the connector is paused)",
    tags: TAGS,
    permission: "connectors.provision",
    params: pathParams("app_id", "connector_id"),
    body: { $ref: "syncplane.v1.CreateGrantTaskRequest#" },
    response: { $ref: "syncplane.v1.ProvisioningTaskResponse#" },
    handler: async (request) => {
      const p = request.params as Ref;
      const body = request.body as GrantRequest;
      const { task } = await requestGrant(runtime, actorOf(request), {
        appId: p.app_id,
        connectorId: p.connector_id,
        entitlementId: body.entitlementId,
        principal: body.principal,
        note: body.note,
      });
      return answer(p.connector_id, task);
    },
  });

  addRoute(app, {
    method: "POST",
    url: `${BASE}/revoke`,
    operationId: "syncplane.v1.ProvisioningService.Revoke",
    summary: "Ask the connector to revoke a grant (held while the connector is paused)",
    tags: TAGS,
    permission: "connectors.provision",
    params: pathParams("app_id", "connector_id"),
    body: { $ref: "syncplane.v1.CreateRevokeTaskRequest#" },
    response: { $ref: "syncplane.v1.ProvisioningTaskResponse#" },
    handler: async (request) => {
      const p = request.params as Ref;
      const body = request.body as RevokeRequest;
      const { task } = await requestRevoke(runtime, actorOf(request), {
        appId: p.app_id,
        connectorId: p.connector_id,
        grantId: body.grantId,
        note: body.note,
      });
      return answer(p.connector_id, task);
    },
  });

  addRoute(app, {
    method: "GET",
    url: BASE,
    operationId: "syncplane.v1.ProvisioningService.List",
    summary: "List a connector's provisioning tasks in queue (creation) order",
    tags: TAGS,
    permission: "connectors.read",
    params: pathParams("app_id", "connector_id"),
    querystring: ListQuery,
    response: { $ref: "syncplane.v1.ListProvisioningTasksResponse#" },
    handler: async (request) => {
      const p = request.params as Ref;
      const q = request.query as { state?: string; page_size?: string; page_token?: string };
      const states = parseStates(q.state);
      const pageRequest = parsePageRequest(q.page_size, q.page_token);
      await requireConnector(store, p.app_id, p.connector_id);
      const [page, holds] = await Promise.all([
        store.listProvisioningTasks(p.connector_id, states, pageRequest),
        store.listHolds(p.connector_id),
      ]);
      return pageJson(page, (task) => taskJson(task, holds));
    },
  });

  addRoute(app, {
    method: "GET",
    url: `${BASE}/:task_id`,
    operationId: "syncplane.v1.ProvisioningService.Get",
    summary: "Get one provisioning task",
    tags: TAGS,
    permission: "connectors.read",
    params: pathParams("app_id", "connector_id", "task_id"),
    response: { $ref: "syncplane.v1.ProvisioningTaskResponse#" },
    handler: async (request) => {
      const p = request.params as Required<Ref>;
      await requireConnector(store, p.app_id, p.connector_id);
      return answer(p.connector_id, await requireTask(store, p.connector_id, p.task_id));
    },
  });

  addRoute(app, {
    method: "GET",
    url: `${BASE}/:task_id/log`,
    operationId: "syncplane.v1.ProvisioningService.GetLog",
    summary: "Read a provisioning task's log: the connector's output and syncplane's notes",
    tags: TAGS,
    permission: "connectors.read",
    params: pathParams("app_id", "connector_id", "task_id"),
    response: { $ref: "syncplane.v1.GetSyncLogResponse#" },
    handler: async (request) => {
      const p = request.params as Required<Ref>;
      await requireConnector(store, p.app_id, p.connector_id);
      const task = await requireTask(store, p.connector_id, p.task_id);
      return { lines: await files.artifacts.readTaskLog(task.connectorId, task.id) };
    },
  });

  addRoute(app, {
    method: "POST",
    url: `${BASE}/:task_id/cancel`,
    operationId: "syncplane.v1.ProvisioningService.Cancel",
    summary: "Cancel a provisioning task that has not started (QUEUED or HELD)",
    tags: TAGS,
    permission: "connectors.provision",
    params: pathParams("app_id", "connector_id", "task_id"),
    body: { $ref: "syncplane.v1.CancelProvisioningTaskRequest#" },
    response: { $ref: "syncplane.v1.ProvisioningTaskResponse#" },
    handler: async (request) => {
      const p = request.params as Required<Ref>;
      const task = await cancelTask(runtime, actorOf(request), {
        appId: p.app_id,
        connectorId: p.connector_id,
        taskId: p.task_id,
      });
      return answer(p.connector_id, task);
    },
  });
}
