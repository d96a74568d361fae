// The schedule editor: a cron in a time zone, a freshness target, or manual syncs only. What is
// typed is checked by the server as one types (its preview endpoint), showing the API's message
// or the next 10 runs in local time and UTC; Save sets it (UpdateConnectorSchedule).

import { useEffect, useMemo, useState } from "react";
import type { Connector, ConnectorScheduleView } from "../../../src/client/index.js";
import { clientFor, may, type Session } from "../session.js";
import { errorText, Table } from "../ui.js";

type Mode = "cron" | "freshness" | "manual";

const zones = (): string[] => {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  const all = intl.supportedValuesOf?.("timeZone") ?? [];
  return ["UTC", ...all.filter((zone) => zone !== "UTC")];
};

export function ScheduleEditor(props: {
  session: Session;
  appId: string;
  connectorId: string;
  connector: Connector;
  onSaved: () => void;
}) {
  const { session, appId, connectorId, connector } = props;
  const client = clientFor(session);
  const [mode, setMode] = useState<Mode>(
    connector.freshness
      ? "freshness"
      : connector.connectorSyncCronSchedule?.cronSpec
        ? "cron"
        : "manual",
  );
  const [cronSpec, setCronSpec] = useState(
    connector.connectorSyncCronSchedule?.cronSpec ?? "0 * * * *",
  );
  const [timezone, setTimezone] = useState(connector.connectorSyncCronSchedule?.timezone || "UTC");
  const [maxAge, setMaxAge] = useState(connector.freshness?.maxAge ?? "2h");
  const [preview, setPreview] = useState<ConnectorScheduleView | null>(null);
  const [problem, setProblem] = useState("");
  const [saved, setSaved] = useState("");
  const allZones = useMemo(zones, []);

  useEffect(() => {
    setSaved("");
    if (mode === "manual") {
      setPreview(null);
      setProblem("");
      return;
    }
    let live = true;
    const timer = setTimeout(() => {
      client.connector
        .previewSchedule({
          appId,
          connectorId,
          count: 10,
          ...(mode === "cron" ? { cronSpec, timezone } : { maxAge }),
        })
        .then(
          (view) => {
            if (!live) return;
            setPreview(view);
            setProblem("");
          },
          (failure: unknown) => {
            if (!live) return;
            setPreview(null);
            setProblem(errorText(failure));
          },
        );
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
    // The client is rebuilt each render; what matters is what was typed.
  }, [mode, cronSpec, timezone, maxAge, appId, connectorId]);

  const local = new Intl.DateTimeFormat(undefined, {
    weekday: "short",
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
  return (
    <section aria-labelledby="schedule-title">
      <h2 id="schedule-title">Schedule</h2>
      <fieldset className="modes">
        <legend>Syncs run</legend>
        {(
          [
            ["cron", "on a cron schedule"],
            ["freshness", "so that the data is never older than a target"],
            ["manual", "only when forced"],
          ] as const
        ).map(([value, label]) => (
          <label key={value} className="inline">
            <input
              type="radio"
              name="schedule-mode"
              value={value}
              checked={mode === value}
              onChange={() => setMode(value)}
            />
            {label}
          </label>
        ))}
      </fieldset>
      {mode === "cron" ? (
        <div className="filters">
          <label>
            Cron
            <input value={cronSpec} onChange={(event) => setCronSpec(event.target.value)} />
          </label>
          <label>
            Time zone
            <select value={timezone} onChange={(event) => setTimezone(event.target.value)}>
              {allZones.map((zone) => (
                <option key={zone} value={zone}>
                  {zone}
                </option>
              ))}
            </select>
          </label>
        </div>
      ) : null}
      {mode === "freshness" ? (
        <label>
          Data no older than (15m to 31d, e.g. 2h)
          <input value={maxAge} onChange={(event) => setMaxAge(event.target.value)} />
        </label>
      ) : null}
      {problem ? (
        <p role="alert" className="error">
          {problem}
        </p>
      ) : null}
      {preview?.freshness ? (
        <p className="muted" data-testid="freshness-plan">
          Assumes a sync takes {preview.freshness.expectedSyncDuration}; one starts every{" "}
          {preview.freshness.periodBetweenSyncs}.
          {preview.freshness.atRisk ? " At risk: the syncs take too long for this target." : ""}
        </p>
      ) : null}
      {preview && preview.nextFireTimes.length > 0 ? (
        <Table label="Next runs" columns={["Local time", "UTC"]}>
          {preview.nextFireTimes.map((fire) => (
            <tr key={fire}>
              <td>{local.format(new Date(fire))}</td>
              <td className="mono small">{fire}</td>
            </tr>
          ))}
        </Table>
      ) : null}
      {may(session, "connectors.control") ? (
        <div className="actions">
          <button
            type="button"
            className="primary"
            disabled={mode !== "manual" && (problem !== "" || !preview)}
            onClick={() => {
              client.connector
                .updateConnectorSchedule({
                  appId,
                  connectorId,
                  updateConnectorScheduleRequest:
                    mode === "cron"
                      ? { cron: { cronSpec, timezone } }
                      : mode === "freshness"
                        ? { freshness: { maxAge } }
                        : {},
                })
                .then(
                  () => {
                    setSaved("Schedule saved.");
                    props.onSaved();
                  },
                  (failure: unknown) => setProblem(errorText(failure)),
                );
            }}
          >
            Save schedule
          </button>
          {saved ? (
            <span role="status" className="ok">
              {saved}
            </span>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
