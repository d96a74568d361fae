// Errors the client raises: the server's gRPC code and message, typed.

export const CODE_NAMES: Record<number, string> = {
  1: "CANCELLED",
  2: "UNKNOWN",
  3: "INVALID_ARGUMENT",
  4: "DEADLINE_EXCEEDED",
  5: "NOT_FOUND",
  6: "ALREADY_EXISTS",
  7: "PERMISSION_DENIED",
  8: "RESOURCE_EXHAUSTED",
  9: "FAILED_PRECONDITION",
  10: "ABORTED",
  11: "OUT_OF_RANGE",
  12: "UNIMPLEMENTED",
  13: "INTERNAL",
  14: "UNAVAILABLE",
  16: "UNAUTHENTICATED",
};

export class SyncplaneError extends Error {
  constructor(
    /** gRPC status code, e.g. 9 for FAILED_PRECONDITION. */
    readonly code: number,
    message: string,
    readonly httpStatus: number,
  ) {
    super(message);
    this.name = "SyncplaneError";
  }

  get codeName(): string {
    return CODE_NAMES[this.code] ?? `CODE_${this.code}`;
  }
}

/** The error a failed response stands for: its grpc-gateway body `{code, message}`, if it has one. */
export function errorFromResponse(httpStatus: number, text: string): SyncplaneError {
  let parsed: { code?: unknown; message?: unknown };
  try {
    parsed = (text ? JSON.parse(text) : {}) as typeof parsed;
  } catch {
    return new SyncplaneError(
      13,
      `server sent a non-JSON response (HTTP ${httpStatus})`,
      httpStatus,
    );
  }
  return new SyncplaneError(
    typeof parsed.code === "number" ? parsed.code : 2,
    typeof parsed.message === "string" ? parsed.message : `HTTP ${httpStatus}`,
    httpStatus,
  );
}
