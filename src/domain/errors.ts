// The closed set of error codes syncplane raises. They are gRPC status codes: the domain and the
// commands raise an AppError with one of them, and the HTTP edge (src/api/errors.ts) is the only
// place that turns a code into an HTTP status and a grpc-gateway body.

export const ErrorCode = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;

export class AppError extends Error {
  readonly codeName: ErrorCodeName;

  /**
   * @param message what went wrong, for logs and the CLI
   * @param publicMessage what an API response says, when `message` names internals (a database
   *   address, a driver error); the same as `message` otherwise
   */
  constructor(
    codeName: ErrorCodeName,
    message: string,
    readonly publicMessage: string = message,
  ) {
    super(message);
    this.name = "AppError";
    this.codeName = codeName;
  }

  get code(): number {
    return ErrorCode[this.codeName];
  }
}

export const invalidArgument = (message: string) => new AppError("INVALID_ARGUMENT", message);
export const notFound = (message: string) => new AppError("NOT_FOUND", message);
export const failedPrecondition = (message: string) => new AppError("FAILED_PRECONDITION", message);
export const permissionDenied = (message: string) => new AppError("PERMISSION_DENIED", message);
export const unauthenticated = (message: string) => new AppError("UNAUTHENTICATED", message);
export const alreadyExists = (message: string) => new AppError("ALREADY_EXISTS", message);
export const aborted = (message: string) => new AppError("ABORTED", message);

export const isAppError = (error: unknown): error is AppError => error instanceof AppError;
