// The TypeScript client runs the seed pages' TypeScript samples with only the import and the
// server URL changed (shared/seeds/*: conductoroneSDKTypescript.connector.<operation>(…)).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Syncplane as ConductoroneSDKTypescript, SyncplaneError } from "../src/client/index.js";
import { createAppAndConnector, startTestServer, type TestServer } from "./helpers/server.js";

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.stop();
});

describe("the seed samples through the TypeScript client", () => {
  it("PauseSync, ResumeSync, ForceSync, UpdateConnectorSchedule, ConfirmSyncValid", async () => {
    const { appId, connectorId } = await createAppAndConnector(server);
    const token = await server.token("operator");
    const conductoroneSDKTypescript = new ConductoroneSDKTypescript({
      serverURL: server.url,
      security: { bearerAuth: token, oauth: token },
    });

    assert.deepEqual(
      await conductoroneSDKTypescript.connector.pauseSync({ appId, connectorId }),
      {},
    );
    assert.deepEqual(
      await conductoroneSDKTypescript.connector.resumeSync({ appId, connectorId }),
      {},
    );
    assert.deepEqual(
      await conductoroneSDKTypescript.connector.forceSync({ appId, connectorId }),
      {},
    );
    assert.deepEqual(
      await conductoroneSDKTypescript.connector.updateConnectorSchedule({ appId, connectorId }),
      {},
    );
    const cleared = await conductoroneSDKTypescript.connector.get({ appId, id: connectorId });
    assert.equal(cleared.connectorView?.connector?.connectorSyncCronSchedule, undefined);
    await conductoroneSDKTypescript.connector.updateConnectorSchedule({
      appId,
      connectorId,
      updateConnectorScheduleRequest: { cron: { cronSpec: "0 6 * * *", timezone: "Europe/Paris" } },
    });
    const { list } = await conductoroneSDKTypescript.syncs.list({ appId, connectorId });
    const latest = list[0]?.id ?? "";
    const refused = await conductoroneSDKTypescript.connector
      .confirmSyncValid({ appId, connectorId, syncLifecycleId: latest })
      .then(
        () => null,
        (error: unknown) => error,
      );
    assert.ok(refused instanceof SyncplaneError);
    assert.equal(refused.codeName, "FAILED_PRECONDITION");
    assert.equal(refused.httpStatus, 400);
  });

  it("authenticates with client credentials the way the C1 SDKs do (signed assertion)", async () => {
    const sdk = new ConductoroneSDKTypescript({
      serverURL: server.url,
      security: { clientID: server.admin.clientId, clientSecret: server.admin.clientSecret },
    });
    const me = await sdk.auth.introspect();
    assert.deepEqual(me.roles, ["admin"]);
    const created = await sdk.apps.create({ displayName: "from the SDK" });
    assert.equal(
      (await sdk.apps.get({ id: created.app?.id ?? "" })).app?.displayName,
      "from the SDK",
    );
  });
});
