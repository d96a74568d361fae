// A held sync: what it would remove (the diff against the applied sync, by type, paged), the
// limits that fired (every count that fell, with the rule and limits as they were when it was
// checked), and ConfirmSyncValid.

import { useState } from "react";
import type { DataDrop, SyncDiffItem } from "../../../src/client/index.js";
import { clientFor, may, type Session } from "../session.js";
import {
  ConfirmDialog,
  ErrorBanner,
  navigate,
  SyncProgressView,
  Time,
  useLoad,
  Table,
} from "../ui.js";

const describe = (item: SyncDiffItem): string =>
  item.kind === "grants"
    ? `${item.principal?.resourceTypeId ?? ""}:${item.principal?.resourceId ?? ""} → ${item.entitlementId ?? ""}`
    : item.kind === "resources"
      ? `${item.resourceId ?? ""}${item.displayName && item.displayName !== item.resourceId ? ` (${item.displayName})` : ""}`
      : `${item.id ?? ""}${item.displayName ? ` (${item.displayName})` : ""}`;

/** Why a count held the sync, with the limits that applied when it was checked. */
function dropRule(drop: DataDrop): string {
  const limits = `limit: a fall of ${drop.limits.thresholdPercent}% and ${drop.limits.minRows} rows`;
  if (drop.rule === "VANISHED") return `fell to none (5 rows or more always hold; ${limits})`;
  if (drop.rule === "EMPTIED") return "the whole sync came back empty";
  return `reached its ${limits}`;
}

export function HeldSyncPage(props: {
  session: Session;
  appId: string;
  connectorId: string;
  syncId: string;
}) {
  const { session, appId, connectorId, syncId } = props;
  const client = clientFor(session);
  const [kind, setKind] = useState<"" | "resources" | "entitlements" | "grants">("");
  const [change, setChange] = useState<"" | "removed" | "added">("removed");
  const [tokens, setTokens] = useState<string[]>([]); // the tokens of the pages before this one
  const [token, setToken] = useState<string | undefined>(undefined);
  const [confirming, setConfirming] = useState(false);
  const sync = useLoad(
    async () =>
      (await client.syncs.get({ appId, connectorId, syncLifecycleId: syncId })).syncLifecycle,
    [syncId],
    2000,
  );
  const held = sync.data?.state === "ERRORED_NO_DATA";
  // The log is read again as the sync moves on (a new state, or a new report while it runs).
  const log = useLoad(
    async () =>
      (await client.syncs.getSyncLog({ appId, connectorId, syncLifecycleId: syncId })).lines,
    [syncId, sync.data?.state, sync.data?.progress?.updatedAt],
  );
  const totals = useLoad(
    async () =>
      held
        ? (await client.syncs.diff({ appId, connectorId, syncLifecycleId: syncId, pageSize: 1 }))
            .totals
        : null,
    [syncId, held],
  );
  const page = useLoad(
    async () =>
      !held
        ? null
        : client.syncs.diff({
            appId,
            connectorId,
            syncLifecycleId: syncId,
            pageSize: 50,
            pageToken: token,
            kind: kind || undefined,
            change: change || undefined,
          }),
    [syncId, kind, change, token, held],
  );
  const [downloadError, setDownloadError] = useState<unknown>(null);
  const filter = (apply: () => void) => {
    apply();
    setTokens([]);
    setToken(undefined);
  };
  return (
    <section aria-labelledby="held-title">
      <p>
        <a href={`#/apps/${appId}/connectors/${connectorId}`}>← Connector</a>
      </p>
      <h1 id="held-title">
        {held ? "Held sync" : "Sync"} {syncId}
      </h1>
      <ErrorBanner error={sync.error} />
      {sync.data ? (
        <dl className="facts">
          <dt>State</dt>
          <dd>
            {sync.data.state}
            {sync.data.progress ? <SyncProgressView progress={sync.data.progress} /> : null}
          </dd>
          {sync.data.error ? (
            <>
              <dt>{held ? "Why it is held" : "Error"}</dt>
              <dd data-testid="held-summary">{sync.data.error}</dd>
            </>
          ) : null}
          <dt>Trigger, attempt</dt>
          <dd>
            {sync.data.trigger}, {sync.data.attempt}
          </dd>
          <dt>Started / finished</dt>
          <dd>
            <Time at={sync.data.startedAt} /> / <Time at={sync.data.finishedAt} />
          </dd>
        </dl>
      ) : null}
      {sync.data?.dataDrops?.length ? (
        <>
          <h2>Limits that fired</h2>
          <Table
            label="Limits that fired"
            columns={["Count", "Before → after", "Fall", "Why it held"]}
          >
            {sync.data.dataDrops.map((drop) => (
              <tr key={drop.what}>
                <td>{drop.what}</td>
                <td>
                  {drop.before} → {drop.after}
                </td>
                <td>−{drop.percent}%</td>
                <td>{dropRule(drop)}</td>
              </tr>
            ))}
          </Table>
        </>
      ) : null}
      <div className="actions">
        <button
          type="button"
          onClick={() => {
            setDownloadError(null);
            client.syncs
              .downloadResponse({ appId, connectorId, syncLifecycleId: syncId })
              .then((response) => response.blob())
              .then((blob) => {
                const link = document.createElement("a");
                link.href = URL.createObjectURL(blob);
                link.download = `${syncId}.c1z`;
                link.click();
                URL.revokeObjectURL(link.href);
              }, setDownloadError);
          }}
        >
          Download c1z
        </button>
      </div>
      <ErrorBanner error={downloadError} />
      <h2>Events</h2>
      <ol className="events" aria-label="Events">
        {(sync.data?.events ?? []).map((event, i) => (
          <li key={i}>
            <Time at={event.at} /> {event.state} (attempt {event.attempt})
            {event.error ? `: ${event.error}` : ""}
          </li>
        ))}
      </ol>
      <h2>Log</h2>
      <ErrorBanner error={log.error} />
      <pre className="log" aria-label="Log">
        {(log.data ?? [])
          .map((line) => `${line.at}  ${line.level.toUpperCase().padEnd(5)}  ${line.message}`)
          .join("\n") || "(no log kept for this sync)"}
      </pre>

      {held ? (
        <>
          <h2>What it would change</h2>
          <ErrorBanner error={totals.error} />
          {totals.data ? (
            <Table
              label="Changes by resource type"
              columns={["Resource type", "Resources", "Entitlements", "Grants"]}
            >
              {[
                { resourceTypeId: "(all)", ...totals.data },
                ...(totals.data.byResourceType ?? []),
              ].map((row) => (
                <tr key={row.resourceTypeId}>
                  <th scope="row">{row.resourceTypeId}</th>
                  {(["resources", "entitlements", "grants"] as const).map((k) => (
                    <td key={k}>
                      <span className="removed">−{row[k].removed}</span>{" "}
                      <span className="added">+{row[k].added}</span>
                    </td>
                  ))}
                </tr>
              ))}
            </Table>
          ) : null}

          <div className="filters">
            <label>
              Kind
              <select
                value={kind}
                onChange={(event) => filter(() => setKind(event.target.value as typeof kind))}
              >
                <option value="">all</option>
                <option value="resources">resources</option>
                <option value="entitlements">entitlements</option>
                <option value="grants">grants</option>
              </select>
            </label>
            <label>
              Change
              <select
                value={change}
                onChange={(event) => filter(() => setChange(event.target.value as typeof change))}
              >
                <option value="">both</option>
                <option value="removed">removed</option>
                <option value="added">added</option>
              </select>
            </label>
          </div>
          <ErrorBanner error={page.error} />
          <Table label="Changed rows" columns={["Change", "Kind", "Type", "Row"]}>
            {(page.data?.list ?? []).map((item, i) => (
              <tr key={`${item.kind}:${item.change}:${item.id ?? item.resourceId ?? i}`}>
                <td className={item.change}>{item.change}</td>
                <td>{item.kind}</td>
                <td>{item.resourceTypeId}</td>
                <td className="mono small">{describe(item)}</td>
              </tr>
            ))}
          </Table>
          <div className="actions">
            <button
              type="button"
              disabled={tokens.length === 0 && token === undefined}
              onClick={() => {
                const previous = [...tokens];
                setToken(previous.pop());
                setTokens(previous);
              }}
            >
              Previous page
            </button>
            <button
              type="button"
              disabled={!page.data?.nextPageToken}
              onClick={() => {
                setTokens([...tokens, ...(token === undefined ? [] : [token])]);
                setToken(page.data?.nextPageToken);
              }}
            >
              Next page
            </button>
          </div>
        </>
      ) : null}
      {may(session, "connectors.control") && held ? (
        <div className="actions">
          <button type="button" className="primary" onClick={() => setConfirming(true)}>
            Confirm sync valid…
          </button>
        </div>
      ) : null}
      {confirming ? (
        <ConfirmDialog
          title="Confirm this sync is valid"
          confirmLabel="Confirm and apply"
          onClose={() => setConfirming(false)}
          onConfirm={async () => {
            await client.connector.confirmSyncValid({
              appId,
              connectorId,
              syncLifecycleId: syncId,
            });
            navigate(`#/apps/${appId}/connectors/${connectorId}`);
          }}
        >
          <p>
            Its data becomes the connector's inventory, with everything listed as removed gone from
            it. A sync runs afterwards to check.
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
