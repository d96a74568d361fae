// Bulk operations: choose connectors by a selector (app, catalog, label, status, hold) or one by
// one on the connectors page, see first exactly what pausing, resuming or forcing them would do
// (a dry run: each command runs and is rolled back), then apply it.

import { useState } from "react";
import type { BulkResponse, ConnectorSelector } from "../../../src/client/index.js";
import { clientFor, type Session } from "../session.js";
import { ErrorBanner, useLoad, Table } from "../ui.js";

type Action = "pause" | "resume" | "forceSync";

/**
 * The action on the chosen connectors: pick it (with a note and timer for a pause), preview it
 * as a dry run, then apply exactly that. A change of selector or action drops the preview.
 */
export function BulkActions(props: {
  session: Session;
  selector: ConnectorSelector;
  /** What the selector chooses, in words ("3 selected connectors"). */
  chosen?: string;
  onApplied?: () => void;
}) {
  const { session, selector } = props;
  const client = clientFor(session);
  const [action, setAction] = useState<Action>("pause");
  const [note, setNote] = useState("");
  const [until, setUntil] = useState("");
  const [preview, setPreview] = useState<BulkResponse | null>(null);
  const [applied, setApplied] = useState<BulkResponse | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [previewedFor, setPreviewedFor] = useState("");
  // A preview holds only for the request it was made for.
  const key = JSON.stringify([selector, action, note, until]);
  const current = previewedFor === key ? preview : null;
  const results = applied ?? current;

  const request = (dryRun: boolean) =>
    client.bulk[action]({
      selector,
      dryRun,
      ...(action === "pause" && note ? { note } : {}),
      ...(action === "pause" && until ? { until } : {}),
    } as Parameters<typeof client.bulk.pause>[0]);
  return (
    <form
      aria-label="Bulk action"
      onSubmit={(event) => {
        event.preventDefault();
        setError(null);
        setApplied(null);
        request(true).then((response) => {
          setPreview(response);
          setPreviewedFor(key);
        }, setError);
      }}
    >
      <fieldset className="filters">
        <legend>Do{props.chosen ? ` to ${props.chosen}` : ""}</legend>
        <label>
          Action
          <select value={action} onChange={(event) => setAction(event.target.value as Action)}>
            <option value="pause">pause</option>
            <option value="resume">resume</option>
            <option value="forceSync">force a sync</option>
          </select>
        </label>
        {action === "pause" ? (
          <>
            <label>
              Note
              <input value={note} onChange={(event) => setNote(event.target.value)} />
            </label>
            <label>
              Resume after (optional)
              <input
                value={until}
                placeholder="2h"
                onChange={(event) => setUntil(event.target.value)}
              />
            </label>
          </>
        ) : null}
      </fieldset>
      <div className="actions">
        <button type="submit">Preview (dry run)</button>
        <button
          type="button"
          className="primary"
          disabled={!current || applied !== null}
          onClick={() => {
            setError(null);
            request(false).then((response) => {
              setApplied(response);
              props.onApplied?.();
            }, setError);
          }}
        >
          Apply to {current ? current.results.length : 0} connectors
        </button>
      </div>
      <ErrorBanner error={error} />
      {results ? (
        <>
          <p role="status" className={applied ? "ok" : "muted"}>
            {applied
              ? `Applied to ${applied.results.length} connectors.`
              : `Dry run: nothing changed. ${current?.results.length ?? 0} connectors would be affected as below.`}
          </p>
          <Table
            label={applied ? "Results" : "Dry run results"}
            columns={["Connector", "App", "Outcome", "Error"]}
          >
            {results.results.map((result) => (
              <tr key={`${result.appId}/${result.connectorId}`}>
                <td>
                  <a href={`#/apps/${result.appId}/connectors/${result.connectorId}`}>
                    {result.connectorId}
                  </a>
                </td>
                <td className="mono small">{result.appId}</td>
                <td>{result.outcome}</td>
                <td>{result.error}</td>
              </tr>
            ))}
          </Table>
        </>
      ) : null}
    </form>
  );
}

/** Connectors chosen by a selector. */
export function BulkPage({ session }: { session: Session }) {
  const client = clientFor(session);
  const apps = useLoad(async () => (await client.apps.list({ pageSize: 100 })).list ?? [], []);
  const [appId, setAppId] = useState("");
  const [catalogId, setCatalogId] = useState("");
  const [label, setLabel] = useState("");
  const [status, setStatus] = useState("");
  const [holdKind, setHoldKind] = useState("");
  const labels = label.includes("=")
    ? { [label.split("=")[0]?.trim() ?? ""]: label.split("=").slice(1).join("=").trim() }
    : undefined;
  const selector = {
    ...(appId && { appId }),
    ...(catalogId && { catalogId }),
    ...(labels && { labels }),
    ...(status && { status }),
    ...(holdKind && { holdKind }),
  } as ConnectorSelector;
  return (
    <section aria-labelledby="bulk-title">
      <h1 id="bulk-title">Bulk operations</h1>
      <p className="muted">
        Or pick connectors one by one on the <a href="#/connectors">connectors page</a>.
      </p>
      <fieldset className="filters">
        <legend>Connectors where</legend>
        <label>
          App
          <select value={appId} onChange={(event) => setAppId(event.target.value)}>
            <option value="">any</option>
            {(apps.data ?? []).map((app) => (
              <option key={app.id} value={app.id}>
                {app.displayName || app.id}
              </option>
            ))}
          </select>
        </label>
        <label>
          Catalog
          <input
            value={catalogId}
            placeholder="e.g. baton"
            onChange={(event) => setCatalogId(event.target.value)}
          />
        </label>
        <label>
          Label
          <input
            value={label}
            placeholder="team=hr"
            onChange={(event) => setLabel(event.target.value)}
          />
        </label>
        <label>
          Status
          <select value={status} onChange={(event) => setStatus(event.target.value)}>
            <option value="">any</option>
            <option value="SYNC_STATUS_DONE">done</option>
            <option value="SYNC_STATUS_ERROR">error</option>
            <option value="SYNC_STATUS_RUNNING">running</option>
            <option value="SYNC_STATUS_DISABLED">disabled (paused)</option>
          </select>
        </label>
        <label>
          Hold
          <select value={holdKind} onChange={(event) => setHoldKind(event.target.value)}>
            <option value="">any</option>
            <option value="PAUSED">paused</option>
            <option value="DATA_DROP">held by the data-drop guard</option>
          </select>
        </label>
      </fieldset>
      <BulkActions session={session} selector={selector} />
    </section>
  );
}
