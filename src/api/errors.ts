// The one place where errors become HTTP responses: gRPC code → HTTP status, body in the
// grpc-gateway shape {code, message, details}. Nothing internal (stack traces, SQL, paths) ever
// reaches a response; unexpected errors are logged with the request id and reported as INTERNAL.

import { AppError, ErrorCode, type ErrorCodeName } from "../domain/errors.js";
import { OAuthError } from "../auth/tokens.js";

const HTTP_STATUS: Record<ErrorCodeName, number> = {
  CANCELLED: 499,
  UNKNOWN: 500,
  INVALID_ARGUMENT: 400,
  DEADLINE_EXCEEDED: 504,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  PERMISSION_DENIED: 403,
  RESOURCE_EXHAUSTED: 429,
  FAILED_PRECONDITION: 400,
  ABORTED: 409,
  OUT_OF_RANGE: 400,
  UNIMPLEMENTED: 501,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  UNAUTHENTICATED: 401,
};

export interface ErrorResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
  /** Whether the error was unexpected (a bug or an outage) and must be logged in full. */
  readonly unexpected: boolean;
}

export const httpStatusOf = (codeName: ErrorCodeName): number => HTTP_STATUS[codeName];

export function errorBody(codeName: ErrorCodeName, message: string): Record<string, unknown> {
  return { code: ErrorCode[codeName], message, details: [] };
}

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  message?: string;
  validation?: AjvError[];
  validationContext?: string;
}

interface AjvError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

export function toErrorResponse(
  error: unknown,
  requestId: string,
  bodyLimit: number,
  url = "",
): ErrorResponse {
  if (error instanceof OAuthError) {
    // Both shapes: grpc-gateway's for C1 clients, RFC 6749's for OAuth2 libraries.
    return {
      status: error.kind === "invalid_client" ? 401 : 400,
      body: {
        ...errorBody(error.codeName, error.message),
        error: error.kind,
        error_description: error.message,
      },
      unexpected: false,
    };
  }
  if (error instanceof AppError) {
    return {
      status: HTTP_STATUS[error.codeName],
      body: errorBody(error.codeName, error.message),
      unexpected: false,
    };
  }
  const fastify = (error ?? {}) as FastifyLikeError;
  const invalid = (message: string): ErrorResponse => ({
    status: 400,
    body: errorBody("INVALID_ARGUMENT", message),
    unexpected: false,
  });
  if (fastify.validation && fastify.validation.length > 0) {
    return invalid(describeValidation(fastify.validation, fastify.validationContext ?? "body"));
  }
  switch (fastify.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return invalid(`request body is larger than the ${bodyLimit}-byte limit`);
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return invalid(
        url.startsWith("/auth/v1/token")
          ? "unsupported Content-Type; send the token request as application/x-www-form-urlencoded"
          : "unsupported Content-Type; send the request body as application/json",
      );
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return invalid("Content-Length does not match the request body");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return invalid("request body is empty; send a JSON object");
    case "SYNCPLANE_BAD_JSON":
      return invalid(fastify.message ?? "request body is not valid JSON");
    case "FST_ERR_BAD_URL":
      return invalid("the request URL is malformed");
  }
  if (fastify.statusCode && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    return invalid("the request could not be read; check its body, headers and URL");
  }
  return {
    status: 500,
    body: errorBody(
      "INTERNAL",
      `internal error; the server logged it under request id ${requestId}`,
    ),
    unexpected: true,
  };
}

function describeValidation(errors: AjvError[], context: string): string {
  const error = errors[0] as AjvError;
  const where =
    context === "querystring"
      ? "query parameter"
      : context === "params"
        ? "path parameter"
        : "field";
  const path = error.instancePath
    .split("/")
    .filter(Boolean)
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .join(".");
  const join = (child: unknown) => (path ? `${path}.${String(child)}` : String(child));
  switch (error.keyword) {
    case "additionalProperties":
      return context === "body"
        ? `unknown field "${join(error.params.additionalProperty)}" in the request body`
        : `unknown ${where} "${join(error.params.additionalProperty)}"`;
    case "required":
      return `missing required ${where} "${join(error.params.missingProperty)}"`;
    case "type": {
      const type = String(error.params.type);
      const expected =
        type === "object" ? "a JSON object" : type === "array" ? "a list" : `a ${type}`;
      return path
        ? `${where} "${path}" must be ${expected}`
        : `the request ${context} must be ${expected}`;
    }
    case "pattern":
      return `${where} "${path}" has a bad format`;
    case "maxLength":
      return `${where} "${path}" is too long (at most ${String(error.params.limit)} characters)`;
    default:
      return path
        ? `${where} "${path}" ${error.message ?? "is invalid"}`
        : `the request ${context} ${error.message ?? "is invalid"}`;
  }
}
