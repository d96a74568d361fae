// The web console in a real browser (Debian's chromium through playwright-core) against a real
// server: sign-in, the connectors list, a pause with a timed resume, a held sync reviewed
// through its diff and confirmed, bulk by selector and by picked rows, a running sync's progress,
// keyboard-only use and named controls, what a viewer is not offered, a phone-width layout. Each
// test saves a screenshot under test-results/console/. Without /usr/bin/chromium the tests are
// skipped, unless SYNCPLANE_REQUIRE_BROWSER=1 (CI) makes that a failure.

import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import { chromium, type Browser, type Page } from "playwright-core";
import { CONSOLE_DIR } from "../../src/api/routes/console.js";
import { newId } from "../../src/runtime.js";
import { newestSyncEnded } from "../helpers/wait.js";
import { startTestServer, tempDir, type TestServer } from "../helpers/server.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const CHROMIUM = "/usr/bin/chromium";
const required = process.env.SYNCPLANE_REQUIRE_BROWSER === "1";
const available = existsSync(CHROMIUM);
const skip = !available && !required ? `no ${CHROMIUM} (apt-get install chromium)` : false;
const SHOTS = join(process.cwd(), "test-results", "console");
const FILE = "type.googleapis.com/syncplane.v1.FileConnectorConfig";

let server: TestServer;
const pageErrors: string[] = [];
let browser: Browser;
let base: string;
let appId: string;
let connectorId: string;
let path: string;

function users(count: number): void {
  writeFileSync(
    path,
    JSON.stringify({
      resourceTypes: [{ id: "user", displayName: "User", traits: ["USER"] }],
      resources: Array.from({ length: count }, (_, i) => ({
        resourceType: "user",
        id: `u${i}`,
        displayName: `User ${i}`,
      })),
      entitlements: [],
      grants: [],
    }),
  );
}

const settled = async (): Promise<Json> => newestSyncEnded(server, base);

async function signedIn(role: "admin" | "viewer" = "admin", width = 1280): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  page.setDefaultTimeout(15_000);
  // A script error is a failure of the test that hit it, whatever the page still shows.
  page.on("pageerror", (error) => pageErrors.push(`${error.name}: ${error.message}`));
  const creds = role === "admin" ? server.admin : await server.credential("viewer");
  await page.goto(`${server.url}/console/`);
  await page.getByLabel("Client id").fill(creds.clientId);
  await page.getByLabel("Client secret").fill(creds.clientSecret);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Connectors" }).waitFor();
  return page;
}

/**
 * The visible form controls and buttons that have no accessible name ("select#3"); fails when
 * the page shows none at all (the check would then prove nothing).
 */
async function unlabelled(page: Page): Promise<string[]> {
  const { seen, missing } = (await page.evaluate(`(() => {
    const controls = [...document.querySelectorAll("input, select, textarea, button")]
      .filter((el) => el.type !== "hidden" && el.offsetParent !== null);
    const missing = controls.flatMap((el, index) => {
      const named =
        (el.labels?.length ?? 0) > 0 ||
        Boolean(el.getAttribute("aria-label")?.trim()) ||
        Boolean(el.getAttribute("aria-labelledby")) ||
        (el.tagName === "BUTTON" && Boolean(el.textContent?.trim()));
      return named ? [] : [el.tagName.toLowerCase() + "#" + index];
    });
    return { seen: controls.length, missing };
  })()`)) as { seen: number; missing: string[] };
  assert.ok(seen >= 2, `only ${seen} controls on the page`);
  return missing;
}

/** Presses Tab until the focused element's name matches `name` (at most 60 presses). */
async function tabTo(page: Page, name: RegExp): Promise<void> {
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press("Tab");
    // Its name: aria-label, else its label's text, else its own text.
    const focused = (await page.evaluate(
      `(() => { const el = document.activeElement;
        if (!el) return "";
        return el.getAttribute("aria-label") || el.labels?.[0]?.textContent || el.textContent || ""; })()`,
    )) as string;
    if (name.test(focused.trim())) return;
  }
  assert.fail(`Tab never reached ${name}`);
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

describe("the web console", { skip }, () => {
  before(async () => {
    assert.ok(available, `${CHROMIUM} is required (SYNCPLANE_REQUIRE_BROWSER=1)`);
    assert.ok(
      existsSync(join(CONSOLE_DIR, "index.html")),
      "the console is not built: run npm run build",
    );
    mkdirSync(SHOTS, { recursive: true });
    server = await startTestServer({ flags: { roles: "api,scheduler,worker" } });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    path = join(tempDir("syncplane-console-"), "users.json");
    users(40);
    const app = await server.call("POST", "/api/v1/apps", { body: { displayName: "Okta" } });
    appId = (app.body.app as Json).id as string;
    const created = await server.call("POST", `/api/v1/apps/${appId}/connectors/create`, {
      body: { displayName: "Okta users", catalogId: "file", config: { "@type": FILE, path } },
    });
    connectorId = ((created.body.connectorView as Json).connector as Json).id as string;
    base = `/api/v1/apps/${appId}/connectors/${connectorId}`;
    assert.equal((await settled()).state, "SUCCEEDED");
  });
  afterEach(() => {
    const errors = pageErrors.splice(0);
    assert.deepEqual(errors, [], "the console raised script errors");
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("signs in with a client id and secret, and lists the connectors", async () => {
    const page = await signedIn();
    const row = page.getByRole("row", { name: /Okta users/ });
    await row.waitFor();
    assert.match(await row.innerText(), /DONE/);
    assert.match(await row.innerText(), /SUCCEEDED/);
    // The default hourly schedule's next run, and no grant or revoke waiting.
    assert.match(await row.innerText(), /\* \* \* \* \(UTC\)/);
    assert.match(await row.innerText(), /none\s*$/);
    await shot(page, "01-connectors");
    await page.getByLabel("Search").fill("nothing like this");
    await page.getByText("No connector matches.").waitFor();
    // A wrong secret: the API's message, not a blank page.
    const other = await browser.newPage();
    await other.goto(`${server.url}/console/`);
    await other.getByLabel("Client id").fill(server.admin.clientId);
    await other.getByLabel("Client secret").fill("not a secret");
    await other.getByRole("button", { name: "Sign in" }).click();
    await other.getByRole("alert").waitFor();
    assert.match(await other.getByRole("alert").innerText(), /secret/i);
    await other.close();
    await page.close();
  });

  it("pauses with a timed resume, then resumes", async () => {
    const page = await signedIn();
    await page.getByRole("link", { name: "Okta users" }).click();
    await page.getByRole("button", { name: "Pause…" }).click();
    await page.getByLabel("Note").fill("vendor maintenance");
    await page.getByLabel(/Resume after/).fill("2h");
    await page.getByRole("button", { name: "Pause", exact: true }).click();
    await page.getByRole("status").waitFor();
    await page.getByTestId("paused-until").waitFor();
    const connector = (await server.call("GET", base)).body.connectorView as Json;
    const until = Date.parse((connector.connector as Json).pausedUntil as string);
    assert.ok(Math.abs(until - (Date.now() + 2 * 3_600_000)) < 60_000, "resumes in about 2 h");
    await shot(page, "02-paused-with-timer");
    await page.getByRole("button", { name: "Resume" }).click();
    await page.getByRole("button", { name: "Resume" }).last().click();
    await page.getByText("Resumed: a sync is queued.").waitFor();
    await page.close();
  });

  it("reviews a held sync through its diff, and confirms it", async () => {
    await settled();
    users(5);
    await server.call("POST", `${base}/force_sync`);
    const held = await settled();
    assert.equal(held.state, "ERRORED_NO_DATA");
    const page = await signedIn();
    await page.goto(`${server.url}/console/#/apps/${appId}/connectors/${connectorId}`);
    await page.getByRole("link", { name: "Held: review" }).click();
    await page.getByTestId("held-summary").waitFor();
    assert.match(await page.getByTestId("held-summary").innerText(), /user: 40 → 5/);
    const fired = page.getByRole("table", { name: "Limits that fired" });
    assert.match(
      await fired.getByRole("row", { name: /user/ }).innerText(),
      /user\s+40 → 5\s+−87\.5%\s+reached its limit: a fall of 50% and 10 rows/,
    );
    const totals = page.getByRole("table", { name: "Changes by resource type" });
    await totals.getByRole("row", { name: /user/ }).waitFor();
    assert.match(await totals.getByRole("row", { name: /user/ }).innerText(), /−35/);
    const rows = page.getByRole("table", { name: "Changed rows" }).getByRole("row");
    await page.getByRole("cell", { name: /^u10/ }).first().waitFor();
    assert.equal(await rows.count(), 36, "a header and 35 removed users on one page");
    await shot(page, "03-held-sync-diff");
    await page.getByRole("button", { name: "Confirm sync valid…" }).click();
    await page.getByRole("button", { name: "Confirm and apply" }).click();
    await page.getByRole("heading", { name: "Okta users" }).waitFor();
    const sync = (await server.call("GET", `${base}/syncs/${held.id as string}`)).body
      .syncLifecycle as Json;
    assert.equal(sync.state, "CONFIRMED");
    await page.close();
  });

  it("edits the schedule, checking it as one types and previewing the next runs", async () => {
    const page = await signedIn();
    await page.goto(`${server.url}/console/#/apps/${appId}/connectors/${connectorId}`);
    await page.getByRole("heading", { name: "Schedule" }).waitFor();
    await page.getByLabel("on a cron schedule").check();
    await page.getByRole("textbox", { name: "Cron" }).fill("61 * * * *");
    await page.getByRole("alert").waitFor();
    assert.match(await page.getByRole("alert").innerText(), /minute field "61" is out of range/);
    await page.getByRole("textbox", { name: "Cron" }).fill("30 2 * * *");
    await page.getByLabel("Time zone").selectOption("America/New_York");
    const runs = page.getByRole("table", { name: "Next runs" });
    await runs
      .getByRole("cell", { name: /T0[67]:30:00\.000Z/ })
      .first()
      .waitFor();
    assert.equal(await runs.getByRole("row").count(), 11, "a header and 10 runs");
    await shot(page, "05-schedule-preview");
    await page.getByRole("button", { name: "Save schedule" }).click();
    await page.getByText("Schedule saved.").waitFor();
    let read = ((await server.call("GET", base)).body.connectorView as Json).connector as Json;
    assert.deepEqual(
      [read.connectorSyncCronSchedule.cronSpec, read.connectorSyncCronSchedule.timezone],
      ["30 2 * * *", "America/New_York"],
    );
    await page.getByLabel("so that the data is never older than a target").check();
    await page.getByLabel(/Data no older than/).fill("2h");
    await page.getByTestId("freshness-plan").waitFor();
    await page.getByRole("button", { name: "Save schedule" }).click();
    await page.getByText("Schedule saved.").waitFor();
    read = ((await server.call("GET", base)).body.connectorView as Json).connector as Json;
    assert.deepEqual(read.freshness, { maxAge: "2h" });
    await page.close();
  });

  it("previews a bulk pause as a dry run that changes nothing, then applies it", async () => {
    const second = await server.call("POST", `/api/v1/apps/${appId}/connectors/create`, {
      body: { displayName: "Okta groups", catalogId: "file", config: { "@type": FILE, path } },
    });
    const secondId = ((second.body.connectorView as Json).connector as Json).id as string;
    const page = await signedIn();
    await page.getByRole("link", { name: "Bulk operations" }).click();
    await page.getByLabel("App").selectOption({ label: "Okta" });
    await page.getByLabel("Note").fill("identity freeze");
    await page.getByRole("button", { name: "Preview (dry run)" }).click();
    const dry = page.getByRole("table", { name: "Dry run results" });
    await dry.waitFor();
    assert.equal(await dry.getByRole("row", { name: /PAUSED/ }).count(), 2);
    const paused = async (id: string) =>
      (
        (
          (await server.call("GET", `/api/v1/apps/${appId}/connectors/${id}`)).body
            .connectorView as Json
        ).connector as Json
      ).canResumeSync === true;
    assert.equal(await paused(connectorId), false, "a dry run changes nothing");
    assert.equal(await paused(secondId), false);
    await shot(page, "06-bulk-dry-run");
    await page.getByRole("button", { name: "Apply to 2 connectors" }).click();
    await page.getByText("Applied to 2 connectors.").waitFor();
    assert.equal(await paused(connectorId), true);
    assert.equal(await paused(secondId), true);

    // Picked one by one on the connectors page: resume both, dry run first.
    await page.getByRole("link", { name: "Connectors", exact: true }).click();
    await page.getByRole("checkbox", { name: "Select Okta groups" }).check();
    const picked = page.getByRole("region", { name: /1 selected/ });
    await picked.waitFor();
    await page.getByLabel("Search").fill("okta");
    await page.getByRole("checkbox", { name: "Select every connector shown" }).check();
    const both = page.getByRole("region", { name: /2 selected/ });
    await both.getByRole("combobox", { name: "Action" }).selectOption("resume");
    await both.getByRole("button", { name: "Preview (dry run)" }).click();
    const preview = both.getByRole("table", { name: "Dry run results" });
    await preview.waitFor();
    assert.equal(await preview.getByRole("row", { name: /RESUMED/ }).count(), 2);
    assert.equal(await paused(connectorId), true, "a dry run changes nothing");
    await shot(page, "08-connectors-picked-dry-run");
    await both.getByRole("button", { name: "Apply to 2 connectors" }).click();
    await both.getByText("Applied to 2 connectors.").waitFor();
    assert.equal(await paused(connectorId), false);
    assert.equal(await paused(secondId), false);
    await page.close();
  });

  it("shows the provisioning queue, the audit trail, and a sync's events and log", async () => {
    // (Grants and revokes need an entitlement this directory does not have: the queue is empty.)
    const page = await signedIn();
    await page.goto(`${server.url}/console/#/apps/${appId}/connectors/${connectorId}`);
    const audit = page.getByRole("table", { name: "Audit trail" });
    await audit
      .getByRole("row", { name: /connector\.pause/ })
      .first()
      .waitFor();
    await page.getByRole("heading", { name: "Provisioning queue" }).waitFor();
    await page.getByText("No grant or revoke requested.").waitFor();
    const [first] = (await server.call("GET", `${base}/syncs?page_size=50`)).body.list as Json[];
    assert.ok(first);
    await page.getByRole("link", { name: first.id as string }).click();
    await page
      .getByRole("list", { name: "Events" })
      .getByText(/QUEUED/)
      .first()
      .waitFor();
    await page
      .getByLabel("Log")
      .getByText(/attempt \d+ (started|ended)/)
      .first()
      .waitFor();
    await page.getByRole("button", { name: "Download c1z" }).click();
    await page.getByRole("alert").waitFor();
    assert.match(await page.getByRole("alert").innerText(), /NOT_FOUND: .*no c1z file/);
    await shot(page, "07-sync-events-log");
    await page.close();
  });

  it("shows a running sync's phase, message and estimated progress, live", async () => {
    // A running sync is seeded as a worker would record it (the file connector ends too fast to
    // be seen running), on a connector of its own whose earlier syncs took 60 s.
    const created = await server.call("POST", `/api/v1/apps/${appId}/connectors/create`, {
      body: { displayName: "Okta long", catalogId: "file", config: { "@type": FILE, path } },
    });
    const longId = ((created.body.connectorView as Json).connector as Json).id as string;
    const { store } = server.server;
    const now = Date.now();
    const sync = async (id: string, startedAt: number, end?: number) =>
      store.transaction(async (tx) => {
        await tx.cancelQueuedSyncs(longId, "test setup", startedAt);
        await tx.insertSync({
          id,
          connectorId: longId,
          appId,
          trigger: "FORCE",
          queuedAt: startedAt - 10,
          requestedBy: "test",
        });
        await tx.startSync(id, "seeded-worker", startedAt, now + 600_000);
        if (end !== undefined) await tx.finishSync(id, { state: "SUCCEEDED", finishedAt: end });
      });
    await sync(newId(), now - 600_000, now - 540_000);
    const running = newId();
    await sync(running, now - 30_000);
    const report = (message: string) =>
      store.transaction((tx) =>
        tx.renewLease(running, "seeded-worker", 1, now + 600_000, Date.now(), {
          attempt: 1,
          phase: "CONNECTOR",
          message,
          at: Date.now(),
        }),
      );
    await report("Syncing users");
    const page = await signedIn();
    await page.goto(`${server.url}/console/#/apps/${appId}/connectors/${longId}`);
    const row = page.getByRole("table", { name: "Sync history" }).getByRole("row", {
      name: new RegExp(running),
    });
    await row.getByText("Syncing users").waitFor();
    await row.getByText(/the connector is reading the system · 3\ds of usually 1m/).waitFor();
    const bar = row.getByRole("progressbar", { name: /About \d+% done \(estimate\)/ });
    // 30 s of a usual 60 s when seeded; the page may read it some seconds later (as "3Ns").
    const fraction = Number(await bar.getAttribute("value"));
    assert.ok(fraction >= 0.49 && fraction <= 0.67, `estimated ${fraction}`);
    // A new report shows up without a reload.
    await report("Syncing groups");
    await row.getByText("Syncing groups").waitFor();
    await shot(page, "09-running-sync-progress");
    await page.close();
    await store.transaction((tx) =>
      tx.finishSync(running, { state: "SUCCEEDED", finishedAt: Date.now() }),
    );
  });

  it("is usable from the keyboard alone, and every control has a name", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(15_000);
    page.on("pageerror", (error) => pageErrors.push(`${error.name}: ${error.message}`));
    await page.goto(`${server.url}/console/`);
    await page.getByRole("heading", { name: "Sign in to syncplane" }).waitFor();
    assert.deepEqual(await unlabelled(page), []);
    // Sign in: Tab to the fields, type, Enter.
    await tabTo(page, /^Client id$/);
    await page.keyboard.type(server.admin.clientId);
    await page.keyboard.press("Tab");
    await page.keyboard.type(server.admin.clientSecret);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Connectors" }).waitFor();
    await page.getByRole("link", { name: "Okta users" }).waitFor();
    await page.getByRole("checkbox", { name: "Select every connector shown" }).waitFor();
    assert.deepEqual(await unlabelled(page), [], "the connectors page");
    // Open a connector, open the pause dialog, leave it with Escape: nothing changes.
    await tabTo(page, /^Okta users$/);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Sync history" }).waitFor();
    // (The controls come with the connector, which may load after the history.)
    await page.getByRole("button", { name: "Pause…" }).waitFor();
    await page.getByRole("button", { name: "Save schedule" }).waitFor();
    assert.deepEqual(await unlabelled(page), [], "the connector page");
    await tabTo(page, /^Pause…$/);
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: "Pause syncs" });
    await dialog.waitFor();
    assert.equal(
      await page.evaluate(`Boolean(document.activeElement?.closest("dialog"))`),
      true,
      "focus moves into the dialog",
    );
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    const read = ((await server.call("GET", base)).body.connectorView as Json).connector as Json;
    assert.equal(read.canResumeSync, undefined, "Escape pauses nothing");
    await page.close();
  });

  it("offers a viewer no controls, and fits a phone's width", async () => {
    // Paused, so that its hold (with a long client id as who) must fit too.
    const connectorPath = `/api/v1/apps/${appId}/connectors/${connectorId}`;
    await server.call("POST", `${connectorPath}/pause`, { body: { note: "audit week" } });
    const page = await signedIn("viewer", 390);
    await page.getByRole("link", { name: "Okta users" }).click();
    await page.getByRole("heading", { name: "Sync history" }).waitFor();
    await page.getByRole("list", { name: "Holds" }).getByText("audit week").waitFor();
    assert.equal(await page.getByRole("group", { name: "Sync controls" }).count(), 0);
    const overflow = (await page.evaluate(
      "document.documentElement.scrollWidth - document.documentElement.clientWidth",
    )) as number;
    await shot(page, "04-viewer-phone");
    assert.ok(overflow <= 1, `the page is ${overflow} px wider than the screen`);
    await page.close();
    await server.call("POST", `${connectorPath}/resume`);
  });
});
