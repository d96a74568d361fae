// A connector's provisioning queue (grants and revokes, in queue order) and its audit trail
// (newest first), refreshed while the page is open.

import type { AuditEvent, ProvisioningTask } from "../../../src/client/index.js";
import { clientFor, type Session } from "../session.js";
import { ErrorBanner, Time, useLoad, Table } from "../ui.js";

export function ProvisioningQueue(props: { session: Session; appId: string; connectorId: string }) {
  const { session, appId, connectorId } = props;
  const client = clientFor(session);
  const tasks = useLoad(
    async () => (await client.provisioning.list({ appId, connectorId, pageSize: 50 })).list,
    [appId, connectorId],
    5000,
  );
  return (
    <section aria-labelledby="provisioning-title">
      <h2 id="provisioning-title">Provisioning queue</h2>
      <ErrorBanner error={tasks.error} />
      {tasks.data && tasks.data.length === 0 ? (
        <p className="muted">No grant or revoke requested.</p>
      ) : null}
      {tasks.data && tasks.data.length > 0 ? (
        <Table
          label="Provisioning queue"
          columns={["Kind", "State", "What", "Requested", "Outcome"]}
        >
          {tasks.data.map((task: ProvisioningTask) => (
            <tr key={task.id}>
              <td>{task.kind}</td>
              <td>{task.state}</td>
              <td className="mono small">
                {task.kind === "GRANT"
                  ? `${task.principal?.resourceTypeId ?? ""}:${task.principal?.resourceId ?? ""} → ${task.entitlementId ?? ""}`
                  : task.grantId}
              </td>
              <td>
                <Time at={task.createdAt} /> <span className="muted small">{task.requestedBy}</span>
              </td>
              <td>{task.error || task.result || ""}</td>
            </tr>
          ))}
        </Table>
      ) : null}
    </section>
  );
}

export function AuditTrail(props: { session: Session; connectorId: string }) {
  const { session, connectorId } = props;
  const client = clientFor(session);
  const events = useLoad(
    async () =>
      (await client.audit.list({ objectType: "connector", objectId: connectorId, pageSize: 20 }))
        .list,
    [connectorId],
    5000,
  );
  return (
    <section aria-labelledby="audit-title">
      <h2 id="audit-title">Audit trail</h2>
      <ErrorBanner error={events.error} />
      <Table label="Audit trail" columns={["When", "Who", "What"]}>
        {(events.data ?? []).map((event: AuditEvent) => (
          <tr key={event.id}>
            <td>
              <Time at={event.at} />
            </td>
            <td>{event.actor}</td>
            <td>
              {event.action}
              {event.details?.note ? (
                <span className="muted"> “{String(event.details.note)}”</span>
              ) : null}
            </td>
          </tr>
        ))}
      </Table>
    </section>
  );
}
