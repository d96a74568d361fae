// Small building blocks: the API's own error message, a confirmation dialog, data that loads
// (and optionally refreshes itself), and time formatting.

import { useCallback, useEffect, useRef, useState, type ReactNode } from "react";
import { SyncplaneError, type SyncProgress } from "../../src/client/index.js";

/** The message the API gave (or the network failure), never a blank screen. */
export function errorText(error: unknown): string {
  if (error instanceof SyncplaneError) return `${error.codeName}: ${error.message}`;
  if (error instanceof Error) return error.message;
  return String(error);
}

export function ErrorBanner({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p role="alert" className="error">
      {errorText(error)}
    </p>
  );
}

export interface Loaded<T> {
  readonly data: T | null;
  readonly error: unknown;
  readonly loading: boolean;
  reload(): void;
}

/** Runs `load` now, when `deps` change, and every `everyMs` (live views). */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[], everyMs?: number): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let live = true;
    setLoading(true);
    loadRef.current().then(
      (value) => {
        if (!live) return;
        setData(value);
        setError(null);
        setLoading(false);
      },
      (failure: unknown) => {
        if (!live) return;
        setError(failure);
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  useEffect(() => {
    if (!everyMs) return;
    const timer = setInterval(() => setTick((n) => n + 1), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data, error, loading, reload };
}

/** A modal question with a labelled confirm button; Escape or Cancel closes it. */
export function ConfirmDialog(props: {
  title: string;
  confirmLabel: string;
  onConfirm: () => Promise<void>;
  onClose: () => void;
  children?: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  return (
    <dialog ref={ref} aria-labelledby="dialog-title" onClose={props.onClose}>
      <form
        method="dialog"
        onSubmit={(event) => {
          event.preventDefault();
          setBusy(true);
          props.onConfirm().then(
            () => {
              ref.current?.close();
            },
            (failure: unknown) => {
              setError(failure);
              setBusy(false);
            },
          );
        }}
      >
        <h2 id="dialog-title">{props.title}</h2>
        {props.children}
        <ErrorBanner error={error} />
        <div className="actions">
          <button type="button" onClick={() => ref.current?.close()}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {props.confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}

/**
 * A labelled table that scrolls sideways on a narrow screen: `columns` are its headings, `before`
 * an optional first heading cell (a select-all box), `children` its rows.
 */
export function Table(props: {
  label: string;
  columns: readonly string[];
  before?: ReactNode;
  children: ReactNode;
}) {
  return (
    <div className="table-wrap">
      <table aria-label={props.label}>
        <thead>
          <tr>
            {props.before}
            {props.columns.map((column) => (
              <th scope="col" key={column}>
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
}

/** "2026-12-07 10:00:00" in the browser's zone, with the UTC time as a tooltip. */
export function Time({ at }: { at: string | undefined | null }) {
  if (!at) return <span className="muted">—</span>;
  const date = new Date(at);
  const local = new Intl.DateTimeFormat(undefined, {
    dateStyle: "short",
    timeStyle: "medium",
  }).format(date);
  return (
    <time dateTime={at} title={`${date.toISOString()} (UTC)`}>
      {local}
    </time>
  );
}

const PHASES: Record<string, string> = {
  CONNECTOR: "the connector is reading the system",
  STORING: "storing and checking its data",
};

/**
 * A running sync: what it is doing, for how long, and — from the connector's recent syncs, so
 * an estimate — about how far along it is.
 */
export function SyncProgressView({ progress }: { progress: SyncProgress }) {
  const fraction = progress.estimatedFraction;
  return (
    <div className="sync-progress" data-testid="sync-progress">
      {fraction !== undefined ? (
        <progress
          max={1}
          value={fraction}
          aria-label={`About ${Math.round(fraction * 100)}% done (estimate)`}
        />
      ) : null}
      <div className="small">
        {PHASES[progress.phase ?? ""] ?? "starting"} · {progress.elapsed}
        {progress.typicalDuration ? ` of usually ${progress.typicalDuration}` : " so far"}
        {progress.overdue ? " (longer than usual)" : ""}
      </div>
      {progress.message ? <div className="muted small">{progress.message}</div> : null}
    </div>
  );
}

export const navigate = (hash: string): void => {
  window.location.hash = hash;
};
