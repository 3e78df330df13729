// One error type and one body shape for every failure: RFC 9457 problem+json carrying the request id.
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ConflictError, ForbiddenError, isDatabaseUnavailable, NotFoundError } from "../db/errors.ts";
import { ConfigError } from "./env.ts";

/** The closed list of error codes, each with its status and the title a person reads. */
export const ERROR_CODES = {
  bad_request: { status: 400, title: "Bad request" },
  validation_failed: { status: 422, title: "Validation failed" },
  unauthorized: { status: 401, title: "Authentication required" },
  forbidden: { status: 403, title: "Forbidden" },
  not_found: { status: 404, title: "Not found" },
  method_not_allowed: { status: 405, title: "Method not allowed" },
  conflict: { status: 409, title: "Conflict" },
  precondition_failed: { status: 412, title: "Precondition failed" },
  payload_too_large: { status: 413, title: "Payload too large" },
  unsupported_media_type: { status: 415, title: "Unsupported media type" },
  rate_limited: { status: 429, title: "Too many requests" },
  internal: { status: 500, title: "Internal error" },
  unavailable: { status: 503, title: "Service unavailable" },
} as const satisfies Record<string, { status: ContentfulStatusCode; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface FieldError {
  path: string;
  message: string;
}

export class ApiError extends HTTPException {
  readonly code: ErrorCode;
  readonly detail: string;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    detail: string,
    options: { errors?: FieldError[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(ERROR_CODES[code].status, { message: detail, cause: options.cause });
    this.code = code;
    this.detail = detail;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: "about:blank" }),
    title: z.string().openapi({ example: "Validation failed" }),
    status: z.number().int().openapi({ example: 422 }),
    detail: z.string().openapi({ example: "email: Invalid email address" }),
    instance: z.string().openapi({ example: "/api/v1/contacts" }),
    code: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]),
    requestId: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi("Problem");

export type Problem = z.infer<typeof ProblemSchema>;

export function problemContent(description: string) {
  return { description, content: { "application/problem+json": { schema: ProblemSchema } } };
}

/** The error responses every route may give, spread into each OpenAPI route definition. */
export const errorResponses = {
  400: problemContent("The request could not be read"),
  422: problemContent("The request was read but its content is not valid"),
  500: problemContent("An unexpected error; the request id identifies it in the logs"),
  503: problemContent("The database is unreachable; retry after the given number of seconds"),
} as const;

/** Maps anything thrown while handling a request to an ApiError. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof NotFoundError) return new ApiError("not_found", error.message);
  if (error instanceof ConflictError) return new ApiError("conflict", error.message);
  // A record the caller may not see is reported as missing, so its existence does not leak.
  if (error instanceof ForbiddenError) return new ApiError("not_found", "Not found");
  if (error instanceof ConfigError) return new ApiError("unavailable", error.message, { cause: error });
  if (isDatabaseUnavailable(error)) {
    return new ApiError("unavailable", "The database is unreachable. Retry shortly.", {
      headers: { "Retry-After": "5" },
      cause: error,
    });
  }
  if (error instanceof HTTPException) {
    const code = codeForStatus(error.status);
    return new ApiError(code, error.message || ERROR_CODES[code].title, { cause: error });
  }
  return new ApiError(
    "internal",
    "Something went wrong on our side. Quote the request id when reporting it.",
    {
      cause: error,
    },
  );
}

function codeForStatus(status: number): ErrorCode {
  const match = Object.entries(ERROR_CODES).find(([, value]) => value.status === status);
  return match ? (match[0] as ErrorCode) : status >= 500 ? "internal" : "bad_request";
}

export function problemResponse(c: Context, error: ApiError): Response {
  const { status, title } = ERROR_CODES[error.code];
  const body: Problem = {
    type: "about:blank",
    title,
    status,
    detail: error.detail,
    instance: new URL(c.req.url).pathname,
    code: error.code,
    requestId: c.get("requestId") ?? "",
    ...(error.errors ? { errors: error.errors } : {}),
  };
  return c.body(JSON.stringify(body), status, {
    "Content-Type": "application/problem+json",
    ...error.headers,
  });
}
