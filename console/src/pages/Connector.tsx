// One connector: its controls (pause with a note and an optional timer, resume, force), with a
// confirmation first; and its sync history, refreshed every few seconds, where a held sync links
// to its diff.

import { useState } from "react";
import { clientFor, may, type Session } from "../session.js";
import { ConfirmDialog, ErrorBanner, SyncProgressView, Time, useLoad, Table } from "../ui.js";
import { scheduleOf, statusOf } from "./Connectors.js";
import { ScheduleEditor } from "./ScheduleEditor.js";
import { AuditTrail, ProvisioningQueue } from "./Activity.js";

type Dialog = "pause" | "resume" | "force" | null;

export function ConnectorPage(props: { session: Session; appId: string; connectorId: string }) {
  const { session, appId, connectorId } = props;
  const client = clientFor(session);
  const connector = useLoad(
    async () =>
      (await client.connector.get({ appId, id: connectorId })).connectorView?.connector ?? null,
    [appId, connectorId],
    3000,
  );
  const history = useLoad(
    async () => (await client.syncs.list({ appId, connectorId, pageSize: 20 })).list,
    [appId, connectorId],
    2000,
  );
  const [dialog, setDialog] = useState<Dialog>(null);
  const [note, setNote] = useState("");
  const [until, setUntil] = useState("");
  const [done, setDone] = useState("");
  const c = connector.data;
  const controls = may(session, "connectors.control");
  const refresh = () => {
    connector.reload();
    history.reload();
  };
  return (
    <section aria-labelledby="connector-title">
      <p>
        <a href="#/connectors">← Connectors</a>
      </p>
      <h1 id="connector-title">{c?.displayName || connectorId}</h1>
      <ErrorBanner error={connector.error} />
      {c ? (
        <dl className="facts">
          <dt>Status</dt>
          <dd>
            <span className={`badge ${statusOf(c).toLowerCase()}`}>{statusOf(c)}</span>
            {c.status?.lastError ? <span className="muted"> {c.status.lastError}</span> : null}
          </dd>
          <dt>Holds</dt>
          <dd>
            {(c.holds ?? []).length === 0 ? (
              "none"
            ) : (
              <ul className="holds" aria-label="Holds">
                {(c.holds ?? []).map((hold) => (
                  <li key={hold.kind}>
                    <strong>
                      {hold.kind === "DATA_DROP" ? "DATA_DROP (held sync)" : hold.kind}
                    </strong>{" "}
                    <span className="muted small">
                      since <Time at={hold.createdAt} />
                      {hold.createdBy ? ` by ${hold.createdBy}` : ""}
                    </span>
                    {hold.note ? <div>{hold.note}</div> : null}
                  </li>
                ))}
              </ul>
            )}
          </dd>
          {c.pausedUntil ? (
            <>
              <dt>Resumes by itself</dt>
              <dd data-testid="paused-until">
                <Time at={c.pausedUntil} />
              </dd>
            </>
          ) : null}
          <dt>Schedule</dt>
          <dd>{scheduleOf(c)}</dd>
          <dt>Catalog</dt>
          <dd>{c.catalogId}</dd>
        </dl>
      ) : null}
      {controls && c ? (
        <div className="actions" role="group" aria-label="Sync controls">
          {c.canResumeSync ? (
            <button type="button" onClick={() => setDialog("resume")}>
              Resume
            </button>
          ) : (
            <button type="button" onClick={() => setDialog("pause")}>
              Pause…
            </button>
          )}
          <button type="button" onClick={() => setDialog("force")}>
            Force sync
          </button>
        </div>
      ) : null}
      {done ? (
        <p role="status" className="ok">
          {done}
        </p>
      ) : null}
      {dialog === "pause" ? (
        <ConfirmDialog
          title="Pause syncs"
          confirmLabel="Pause"
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            await client.connector.pauseSync({
              appId,
              connectorId,
              pauseSyncRequest: { note: note || undefined, until: until || undefined },
            });
            setDone(until ? `Paused; resumes by itself in ${until}.` : "Paused.");
            refresh();
          }}
        >
          <p>Scheduled and forced syncs stop, and grants and revokes wait, until it resumes.</p>
          <label>
            Note
            <input value={note} onChange={(event) => setNote(event.target.value)} />
          </label>
          <label>
            Resume after (optional: 2h, 1h30m, 3d, or an RFC 3339 time)
            <input value={until} onChange={(event) => setUntil(event.target.value)} />
          </label>
        </ConfirmDialog>
      ) : null}
      {dialog === "resume" ? (
        <ConfirmDialog
          title="Resume syncs"
          confirmLabel="Resume"
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            await client.connector.resumeSync({ appId, connectorId });
            setDone("Resumed: a sync is queued.");
            refresh();
          }}
        >
          <p>A sync runs at once, and held grants and revokes are released.</p>
        </ConfirmDialog>
      ) : null}
      {dialog === "force" ? (
        <ConfirmDialog
          title="Force a sync"
          confirmLabel="Force sync"
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            await client.connector.forceSync({ appId, connectorId });
            setDone("A sync is queued.");
            refresh();
          }}
        >
          <p>Queue a sync now (one already waiting is not duplicated).</p>
        </ConfirmDialog>
      ) : null}

      {c ? (
        <ScheduleEditor
          session={session}
          appId={appId}
          connectorId={connectorId}
          connector={c}
          onSaved={refresh}
        />
      ) : null}

      <ProvisioningQueue session={session} appId={appId} connectorId={connectorId} />
      <AuditTrail session={session} connectorId={connectorId} />

      <h2>Sync history</h2>
      <ErrorBanner error={history.error} />
      <Table
        label="Sync history"
        columns={["Sync", "Trigger", "State", "Queued", "Finished", "Counts", "Error"]}
      >
        {(history.data ?? []).map((sync) => (
          <tr key={sync.id}>
            <td className="mono small">
              <a href={`#/apps/${appId}/connectors/${connectorId}/syncs/${sync.id}`}>{sync.id}</a>
            </td>
            <td>{sync.trigger}</td>
            <td>
              {sync.state === "ERRORED_NO_DATA" ? (
                <a href={`#/apps/${appId}/connectors/${connectorId}/syncs/${sync.id}`}>
                  Held: review
                </a>
              ) : (
                sync.state
              )}
              {sync.progress ? <SyncProgressView progress={sync.progress} /> : null}
            </td>
            <td>
              <Time at={sync.queuedAt} />
            </td>
            <td>
              <Time at={sync.finishedAt} />
            </td>
            <td>
              {sync.counts
                ? `${Object.values(sync.counts.resources ?? {}).reduce((a, b) => a + b, 0)} resources, ${sync.counts.grants ?? 0} grants`
                : ""}
            </td>
            <td>{sync.error}</td>
          </tr>
        ))}
      </Table>
    </section>
  );
}
