// The one place where errors become HTTP responses: gRPC code → HTTP status, body in the
// grpc-gateway shape {code, message, details}. Nothing internal (stack traces, SQL, paths) ever
// reaches a response; unexpected errors are logged with the request id and reported as INTERNAL.

import { AppError, ErrorCode, invalidArgument, type ErrorCodeName } from "../domain/errors.js";
import { parseCatalogId } from "../domain/catalog.js";
import { codePoints, LIMITS, quote } from "../domain/limits.js";
import { normaliseTimezone, validateCronSpec } from "../domain/schedule.js";
import { OAuthError } from "../auth/tokens.js";
import { resolveUpdateMask } from "./update-mask.js";

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
  schema?: unknown;
  parentSchema?: Record<string, unknown>;
  data?: unknown;
}

const TOKEN_PATH = "/auth/v1/token";

/** The gRPC code for an HTTP status that a framework layer chose (grpc-gateway's table, reversed). */
function codeForStatus(status: number): ErrorCodeName {
  switch (status) {
    case 401:
      return "UNAUTHENTICATED";
    case 403:
      return "PERMISSION_DENIED";
    case 404:
      return "NOT_FOUND";
    case 405:
    case 501:
      return "UNIMPLEMENTED";
    case 408:
    case 504:
      return "DEADLINE_EXCEEDED";
    case 409:
      return "ABORTED";
    case 429:
      return "RESOURCE_EXHAUSTED";
    case 503:
      return "UNAVAILABLE";
    default:
      return status >= 500 ? "INTERNAL" : "INVALID_ARGUMENT";
  }
}

export function toErrorResponse(
  error: unknown,
  requestId: string,
  bodyLimit: number,
  url = "",
): ErrorResponse {
  const response = mapError(error, requestId, bodyLimit, url);
  return url.startsWith(TOKEN_PATH) ? asOAuthError(response, error) : response;
}

/**
 * A known path asked with a method it does not serve: code UNIMPLEMENTED, and the one status
 * grpc-gateway does not derive from the code — 405, with the Allow header RFC 9110 requires.
 */
export class MethodNotAllowed extends AppError {
  constructor(
    method: string,
    readonly allow: readonly string[],
  ) {
    super("UNIMPLEMENTED", `method ${method} is not allowed here; use ${allow.join(", ")}`);
  }
}

function mapError(
  error: unknown,
  requestId: string,
  bodyLimit: number,
  url: string,
): ErrorResponse {
  if (error instanceof AppError) {
    const status = error instanceof MethodNotAllowed ? 405 : HTTP_STATUS[error.codeName];
    return { status, body: errorBody(error.codeName, error.publicMessage), unexpected: false };
  }
  if (error instanceof OAuthError) {
    return {
      status: error.kind === "invalid_client" ? 401 : 400,
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
    case "FST_ERR_ROUTE_MISSING_CONTENT_TYPE":
      return invalid(
        url.startsWith(TOKEN_PATH)
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
      return invalid(
        "the request path is malformed (a %-escape that is not valid UTF-8 or not two hex digits)",
      );
    case "FST_ERR_MAX_PARAM_LENGTH":
      return invalid(
        "a segment of the request path is too long; ids are at most " + LIMITS.id + " characters",
      );
  }
  if (fastify.statusCode && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    const code = codeForStatus(fastify.statusCode);
    return {
      status: HTTP_STATUS[code],
      body: errorBody(
        code,
        "the request could not be read; check its method, headers, body and URL",
      ),
      unexpected: false,
    };
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

/** The token endpoint answers every error in both shapes: grpc-gateway's and RFC 6749's. */
function asOAuthError(response: ErrorResponse, error: unknown): ErrorResponse {
  const invalidField = (error as FastifyLikeError | null)?.validation?.[0]?.instancePath;
  const kind =
    error instanceof OAuthError
      ? error.kind
      : invalidField === "/grant_type"
        ? "unsupported_grant_type"
        : response.status === 401
          ? "invalid_client"
          : response.status >= 500
            ? response.status === 503
              ? "temporarily_unavailable"
              : "server_error"
            : "invalid_request";
  return {
    ...response,
    body: { ...response.body, error: kind, error_description: response.body.message },
  };
}

/**
 * What the HTTP parser refused before there was a request to route (Node's clientError): too
 * slow, headers too large, or not HTTP at all.
 */
export function clientErrorResponse(code: string | undefined): ErrorResponse {
  const answer = (codeName: ErrorCodeName, message: string): ErrorResponse => ({
    status: HTTP_STATUS[codeName],
    body: errorBody(codeName, message),
    unexpected: false,
  });
  switch (code) {
    case "ERR_HTTP_REQUEST_TIMEOUT":
    case "ERR_HTTP_HEADERS_TIMEOUT":
      return answer(
        "DEADLINE_EXCEEDED",
        "the request did not arrive in full in time; send it again",
      );
    case "HPE_HEADER_OVERFLOW":
      return answer(
        "INVALID_ARGUMENT",
        "the request line and headers are too large (at most 16 KiB together)",
      );
    case "HPE_INVALID_METHOD":
      return answer("INVALID_ARGUMENT", "the request method is not an HTTP method");
    default:
      return answer("INVALID_ARGUMENT", "the HTTP request could not be parsed");
  }
}

/**
 * Fields whose rules the domain states with better words than a schema keyword can: the schema
 * names the rule with "x-explain", and a refused value is explained by the domain's own check.
 */
const EXPLAIN: Readonly<Record<string, (value: unknown, schema: Record<string, unknown>) => void>> =
  {
    cronSpec: (value) =>
      validateCronSpec(
        String(value)
          .trim()
          .replace(/[ \t]+/g, " "),
      ),
    timezone: (value) => normaliseTimezone(value),
    catalogId: (value) => parseCatalogId(value),
    updateMask: (value, schema) => {
      const list = (key: string) => (schema[key] as readonly string[] | undefined) ?? [];
      resolveUpdateMask(String(value), {}, list("x-updatable"), list("x-read-only"));
    },
    grantType: (value) => {
      throw invalidArgument(`grant_type ${quote(value)} is not supported; use client_credentials`);
    },
    // A config of the wrong kind: say so before any of its fields.
    config: (value, schema) => {
      const expected = (schema.properties as Record<string, { const?: unknown }> | undefined)?.[
        "@type"
      ]?.const;
      const given = (value as Record<string, unknown> | null)?.["@type"];
      if (expected !== undefined && given !== expected) {
        throw invalidArgument(
          `config["@type"] must be ${JSON.stringify(expected)} here, got ${quote(given ?? null)}`,
        );
      }
    },
  };

function explained(error: AjvError): string | null {
  const schema = error.parentSchema ?? {};
  const rule = schema["x-explain"];
  const value =
    error.keyword === "discriminator"
      ? (error.data as Record<string, unknown> | undefined)?.[String(error.params.tag)]
      : error.data;
  const explain = typeof rule === "string" ? EXPLAIN[rule] : undefined;
  // A value of the wrong JSON type, or too long, is said as such.
  if (!explain || error.keyword === "type" || error.keyword === "maxLength") return null;
  try {
    explain(value, schema);
  } catch (refusal) {
    if (refusal instanceof AppError) return refusal.message;
  }
  return null;
}

function describeValidation(errors: AjvError[], context: string): string {
  // The error of a union that states its own requirement, when there is one; else the first.
  const error =
    errors.find(
      (e) => (e.keyword === "anyOf" || e.keyword === "oneOf") && e.parentSchema?.["x-requirement"],
    ) ?? (errors[0] as AjvError);
  const explanation = explained(error);
  if (explanation) return explanation;
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
  const name = (text: string) => quote(text);
  switch (error.keyword) {
    case "additionalProperties":
      return context === "body"
        ? `unknown field ${name(join(error.params.additionalProperty))} in the request body`
        : `unknown ${where} ${name(join(error.params.additionalProperty))}`;
    case "required":
      return `${where} ${name(join(error.params.missingProperty))} is required`;
    case "type": {
      const type = String(error.params.type).replace(/,null$/, "");
      const expected =
        type === "object" ? "a JSON object" : type === "array" ? "a list" : `a ${type}`;
      return path
        ? `${where} ${name(path)} must be ${expected}`
        : `the request ${context} must be ${expected}`;
    }
    case "pattern":
      return error.params.pattern === "\\S"
        ? `${where} ${name(path)} must not be blank`
        : `${where} ${name(path)} has a bad format${patternHint(error)}`;
    case "minLength":
      return error.parentSchema?.pattern === "\\S"
        ? `${where} ${name(path)} must not be blank`
        : Number(error.params.limit) === 1
          ? `${where} ${name(path)} must not be empty`
          : `${where} ${name(path)} is too short (at least ${String(error.params.limit)} characters)`;
    case "maxLength":
      return typeof error.data === "string"
        ? `${where} ${name(path)} is too long: ${codePoints(error.data)} characters, at most ${String(error.params.limit)}`
        : `${where} ${name(path)} is too long (at most ${String(error.params.limit)} characters)`;
    case "maxItems":
      return `${where} ${name(path)} has too many entries (at most ${String(error.params.limit)})`;
    case "maxProperties":
      return `${where} ${name(path)} has too many entries (at most ${String(error.params.limit)})`;
    case "minimum":
    case "maximum":
      return `${where} ${name(path)} must be ${error.keyword === "minimum" ? "at least" : "at most"} ${String(error.params.limit)}`;
    case "enum": {
      const allowed = (error.params.allowedValues as unknown[] | undefined) ?? [];
      return allowed.length <= 12
        ? `${where} ${name(path)} must be one of ${allowed.map((v) => JSON.stringify(v)).join(", ")}`
        : `${where} ${name(path)} is not one of the accepted values`;
    }
    case "const":
      return `${where} ${name(path)} must be ${JSON.stringify(error.params.allowedValue)}`;
    case "discriminator": {
      const tag = String(error.params.tag);
      const branches = (error.parentSchema?.oneOf as Record<string, unknown>[] | undefined) ?? [];
      const values = branches
        .map((branch) => (branch.properties as Record<string, { const?: unknown }>)?.[tag]?.const)
        .filter((value) => value !== undefined)
        .map((value) => JSON.stringify(value));
      return `${where} ${name(join(tag))} must be one of ${values.join(", ")}`;
    }
    case "anyOf":
    case "oneOf": {
      const requirement = error.parentSchema?.["x-requirement"];
      if (typeof requirement === "string") return requirement;
      return path
        ? `${where} ${name(path)} does not match any accepted form`
        : `the request ${context} does not match any accepted form`;
    }
    case "not":
      return `${where} ${name(path)} has a value that is not allowed here`;
    default:
      return path
        ? `${where} ${name(path)} ${error.message ?? "is invalid"}`
        : `the request ${context} ${error.message ?? "is invalid"}`;
  }
}

function patternHint(error: AjvError): string {
  const description = (error.parentSchema as { description?: unknown } | undefined)?.description;
  return typeof description === "string" ? ` (${description})` : "";
}
