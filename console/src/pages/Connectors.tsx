// Every connector across apps: status, holds, last sync, schedule; filter and search.

import { useState } from "react";
import type { Connector, SyncLifecycle } from "../../../src/client/index.js";
import { clientFor, may, type Session } from "../session.js";
import { ErrorBanner, SyncProgressView, Time, useLoad, Table } from "../ui.js";
import { BulkActions } from "./Bulk.js";

export interface Row {
  readonly appId: string;
  readonly appName: string;
  readonly connector: Connector;
  readonly lastSync: SyncLifecycle | null;
  /** The next scheduled (or planned) sync; null without a schedule or while a hold stops it. */
  readonly nextRun: string | null;
}

/** Every hold on a connector (a pause and a data-drop hold may stack): "PAUSED (timed)". */
export const holdsOf = (connector: Connector): string[] =>
  (connector.holds ?? []).map((hold) =>
    hold.kind === "PAUSED" && hold.until ? "PAUSED (timed)" : (hold.kind ?? "HOLD"),
  );

/** Open grant and revoke tasks: "2 held, 1 queued". */
export const tasksOf = (connector: Connector): string =>
  (["held", "queued", "running"] as const)
    .flatMap((state) => {
      const n = connector.provisioningTasks?.[state] ?? 0;
      return n > 0 ? [`${n} ${state}`] : [];
    })
    .join(", ");

export const statusOf = (connector: Connector): string =>
  (connector.status?.status ?? "SYNC_STATUS_UNSPECIFIED").replace("SYNC_STATUS_", "");

export const scheduleOf = (connector: Connector): string =>
  connector.freshness
    ? `data ≤ ${connector.freshness.maxAge} old`
    : connector.connectorSyncCronSchedule?.cronSpec
      ? `${connector.connectorSyncCronSchedule.cronSpec} (${connector.connectorSyncCronSchedule.timezone || "UTC"})`
      : "manual";

/** Every connector across apps, a page of 200 per request (one request for most installs). */
async function loadRows(session: Session): Promise<Row[]> {
  const client = clientFor(session);
  const rows: Row[] = [];
  let token: string | undefined;
  do {
    const page = await client.connector.listOverviews({ pageSize: 200, pageToken: token });
    for (const item of page.list) {
      rows.push({
        appId: item.connector.appId ?? "",
        appName: item.appDisplayName ?? "",
        connector: item.connector,
        lastSync: item.lastSync ?? null,
        nextRun: item.nextRunAt ?? null,
      });
    }
    token = page.nextPageToken || undefined;
  } while (token);
  const name = (row: Row) => row.connector.displayName || row.connector.id || "";
  return rows.sort((a, b) => a.appName.localeCompare(b.appName) || name(a).localeCompare(name(b)));
}

export function ConnectorsPage({ session }: { session: Session }) {
  const rows = useLoad(() => loadRows(session), [session.token], 5000);
  const [search, setSearch] = useState("");
  const [status, setStatus] = useState("");
  // Picked connectors (by id) for a bulk action; kept across refreshes and filters.
  const [picked, setPicked] = useState<ReadonlySet<string>>(new Set());
  const controls = may(session, "connectors.control");
  const toggle = (ids: readonly string[], on: boolean) =>
    setPicked((previous) => {
      const next = new Set(previous);
      for (const id of ids) {
        if (on) next.add(id);
        else next.delete(id);
      }
      return next;
    });
  const wanted = (rows.data ?? []).filter((row) => {
    const text =
      `${row.connector.displayName ?? ""} ${row.connector.id ?? ""} ${row.appName} ${row.connector.catalogId ?? ""}`.toLowerCase();
    return (
      text.includes(search.trim().toLowerCase()) &&
      (status === "" ||
        statusOf(row.connector) === status ||
        holdsOf(row.connector).some((h) => h.startsWith(status)))
    );
  });
  const shownIds = wanted.map((row) => row.connector.id ?? "");
  const allShownPicked = shownIds.length > 0 && shownIds.every((id) => picked.has(id));
  return (
    <section aria-labelledby="connectors-title">
      <h1 id="connectors-title">Connectors</h1>
      <div className="filters">
        <label>
          Search
          <input
            type="search"
            value={search}
            placeholder="name, id, app or catalog"
            onChange={(event) => setSearch(event.target.value)}
          />
        </label>
        <label>
          Status
          <select value={status} onChange={(event) => setStatus(event.target.value)}>
            <option value="">all</option>
            <option value="DONE">done</option>
            <option value="RUNNING">running</option>
            <option value="ERROR">error</option>
            <option value="DISABLED">disabled</option>
            <option value="PAUSED">paused</option>
            <option value="DATA_DROP">held (data drop)</option>
          </select>
        </label>
      </div>
      <ErrorBanner error={rows.error} />
      {rows.loading && !rows.data ? <p>Loading…</p> : null}
      {rows.data && wanted.length === 0 ? <p className="muted">No connector matches.</p> : null}
      {wanted.length > 0 ? (
        <Table
          label="Connectors"
          columns={[
            "Connector",
            "App",
            "Status",
            "Holds",
            "Last sync",
            "Next run",
            "Grants and revokes",
          ]}
          before={
            controls ? (
              <th scope="col" className="pick">
                <input
                  type="checkbox"
                  aria-label="Select every connector shown"
                  checked={allShownPicked}
                  onChange={(event) => toggle(shownIds, event.target.checked)}
                />
              </th>
            ) : null
          }
        >
          {wanted.map((row) => (
            <tr key={row.connector.id}>
              {controls ? (
                <td className="pick">
                  <input
                    type="checkbox"
                    aria-label={`Select ${row.connector.displayName || row.connector.id}`}
                    checked={picked.has(row.connector.id ?? "")}
                    onChange={(event) => toggle([row.connector.id ?? ""], event.target.checked)}
                  />
                </td>
              ) : null}
              <td>
                <a href={`#/apps/${row.appId}/connectors/${row.connector.id ?? ""}`}>
                  {row.connector.displayName || row.connector.id}
                </a>
                <div className="muted small">{row.connector.catalogId}</div>
              </td>
              <td>{row.appName}</td>
              <td>
                <span className={`badge ${statusOf(row.connector).toLowerCase()}`}>
                  {statusOf(row.connector)}
                </span>
              </td>
              <td>{holdsOf(row.connector).join(", ") || <span className="muted">none</span>}</td>
              <td>
                {row.lastSync ? (
                  <>
                    {row.lastSync.state}{" "}
                    <Time at={row.lastSync.finishedAt ?? row.lastSync.queuedAt} />
                    <div className="muted small">
                      {row.lastSync.counts?.grants ?? 0} grants,{" "}
                      {Object.values(row.lastSync.counts?.resources ?? {}).reduce(
                        (a, b) => a + b,
                        0,
                      )}{" "}
                      resources
                    </div>
                    {row.lastSync.progress ? (
                      <SyncProgressView progress={row.lastSync.progress} />
                    ) : null}
                  </>
                ) : (
                  <span className="muted">never</span>
                )}
              </td>
              <td>
                {row.nextRun ? <Time at={row.nextRun} /> : <span className="muted">none</span>}
                <div className="muted small">{scheduleOf(row.connector)}</div>
              </td>
              <td>{tasksOf(row.connector) || <span className="muted">none</span>}</td>
            </tr>
          ))}
        </Table>
      ) : null}
      {controls && picked.size > 0 ? (
        <section aria-labelledby="picked-title" className="picked">
          <h2 id="picked-title">
            {picked.size} selected{" "}
            <button type="button" onClick={() => setPicked(new Set())}>
              Clear selection
            </button>
          </h2>
          <BulkActions
            session={session}
            selector={{ connectorIds: [...picked] }}
            chosen={`${picked.size} selected connector${picked.size === 1 ? "" : "s"}`}
            onApplied={rows.reload}
          />
        </section>
      ) : null}
    </section>
  );
}
