// Rules for running baton connectors as one-shot subprocesses: which environment a connector
// gets, and what its exit means. Baton-sdk ≥ v0.25.0 exits with the gRPC status code of the
// error; older SDKs and connectors with their own main exit 1 for everything, so the exit code is
// a hint and stderr decides where it can (a command-line mistake is never worth a retry).

/** Variables syncplane sets for every run; a connector's config cannot change them. */
export const FORCED_BATON_ENV: Readonly<Record<string, string>> = {
  // v1 (SQLite) c1z files: syncplane cannot read v3 (Pebble) files.
  BATON_STORAGE_ENGINE: "sqlite",
  BATON_LOG_FORMAT: "json",
  // c1z timestamps are written in the connector's local time with no zone.
  TZ: "UTC",
};

/** Variables a config may not set: they switch a connector to service mode or redirect it. */
export const REFUSED_BATON_ENV = [
  "BATON_CLIENT_ID",
  "BATON_CLIENT_SECRET",
  "BATON_FILE",
  "BATON_CONFIG_PATH",
] as const;

export interface BatonExit {
  /** Exit code, or null when a signal ended the process. */
  readonly code: number | null;
  readonly signal: string | null;
  /** The last lines the connector wrote to stderr (newest last). */
  readonly stderrTail: readonly string[];
  /** syncplane itself stopped it (timeout, cancel, shutdown). */
  readonly stoppedByUs: boolean;
}

export interface ExitVerdict {
  readonly retryable: boolean;
  readonly message: string;
}

// gRPC codes a baton ≥ v0.25 connector exits with, and whether trying again can help.
const GRPC_EXIT: Readonly<Record<number, { name: string; retryable: boolean }>> = {
  1: { name: "CANCELED or a generic failure", retryable: true },
  2: { name: "UNKNOWN", retryable: true },
  3: { name: "INVALID_ARGUMENT", retryable: false },
  4: { name: "DEADLINE_EXCEEDED", retryable: true },
  5: { name: "NOT_FOUND", retryable: false },
  6: { name: "ALREADY_EXISTS", retryable: false },
  7: { name: "PERMISSION_DENIED", retryable: false },
  8: { name: "RESOURCE_EXHAUSTED", retryable: true },
  9: { name: "FAILED_PRECONDITION", retryable: false },
  10: { name: "ABORTED", retryable: true },
  11: { name: "OUT_OF_RANGE", retryable: false },
  12: { name: "UNIMPLEMENTED", retryable: false },
  13: { name: "INTERNAL", retryable: true },
  14: { name: "UNAVAILABLE", retryable: true },
  15: { name: "DATA_LOSS", retryable: false },
  16: { name: "UNAUTHENTICATED", retryable: false },
};

// What cobra and viper print for a command-line or config mistake: fix the config, don't retry.
// Cobra prefixes "Error: " when it prints the error itself; connectors with their own main (such
// as baton-demo on baton-sdk v0.2.51) print the bare error ("unknown flag: --bogus").
const USAGE_ERROR =
  /^(Error: )?(unknown (shorthand )?flag|flag needs an argument|invalid argument ".*" for|required flag|unknown command|accepts \d+ arg)/i;

const MAX_ERROR_CHARS = 2000;

export function classifyBatonExit(exit: BatonExit): ExitVerdict {
  const tail = exit.stderrTail.join("\n").trim();
  const detail = tail === "" ? "it wrote nothing to stderr" : tail;
  const clip = (message: string) =>
    message.length > MAX_ERROR_CHARS ? `…${message.slice(-MAX_ERROR_CHARS)}` : message;
  if (exit.code === null) {
    return {
      retryable: true,
      message: clip(`the connector was killed by ${exit.signal ?? "a signal"}: ${detail}`),
    };
  }
  if (exit.stderrTail.some((line) => USAGE_ERROR.test(line.trim()))) {
    return {
      retryable: false,
      message: clip(
        `the connector refused its command line (exit ${exit.code}); check config.args and config.env: ${detail}`,
      ),
    };
  }
  const known = GRPC_EXIT[exit.code];
  const name = known ? ` (${known.name})` : "";
  return {
    retryable: known?.retryable ?? true,
    message: clip(`the connector exited with code ${exit.code}${name}: ${detail}`),
  };
}

/** The environment of a one-shot run: inherited basics, then the config's, then the forced. */
export function batonRunEnv(
  inherited: Readonly<Record<string, string>>,
  configured: Readonly<Record<string, string>>,
  tempDir: string,
): Record<string, string> {
  const env: Record<string, string> = { ...inherited };
  for (const [key, value] of Object.entries(configured)) {
    if (!(REFUSED_BATON_ENV as readonly string[]).includes(key)) env[key] = value;
  }
  return { ...env, TMPDIR: tempDir, ...FORCED_BATON_ENV };
}
