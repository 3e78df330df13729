// The one app factory: request id, services, validation hook and problem+json errors, for the Worker and tests alike.
import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import { authorizedRead } from "./access.ts";
import { authenticate } from "./auth/middleware.ts";
import type { AppEnv } from "./env.ts";
import { ApiError, type FieldError, problemResponse, toApiError } from "./errors.ts";
import { dispatchEvents } from "./middleware/dispatch-events.ts";
import { idempotency } from "./middleware/idempotency.ts";
import { rejectNul } from "./middleware/reject-nul.ts";
import { services } from "./middleware/services.ts";

export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (result.success) return;
      const errors: FieldError[] = result.error.issues.map((issue) => ({
        path: issue.path.join("."),
        message: issue.message,
      }));
      const summary = errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join("; ");
      throw new ApiError("validation_failed", summary, { errors });
    },
  });
}

export type Router = ReturnType<typeof createRouter>;

const MAX_BODY_BYTES = 1024 * 1024;

export function createApp(): Router {
  const app = createRouter();
  app.use(requestId());
  // Before anything reads a body: the largest the API takes is a batch of 100 records.
  app.use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ApiError(
          "payload_too_large",
          `A request body may hold at most ${MAX_BODY_BYTES / 1024} KB.`,
        );
      },
    }),
  );
  app.use(rejectNul);
  app.use(services);
  app.use(authenticate);
  app.use(idempotency);
  app.use(dispatchEvents);
  app.notFound((c) =>
    problemResponse(c, new ApiError("not_found", `No route for ${c.req.method} ${c.req.path}`)),
  );
  app.onError(async (error, c) => {
    let apiError = toApiError(error);
    // A caller who may not use the route hears 401/403, not what is wrong with what they sent: input refused
    // before the caller was checked (by the schema or by the handler) is checked against access first.
    if (apiError.code === "validation_failed" && c.get("access") && !c.get("authorized")) {
      try {
        await authorizedRead(c, () => [] as const);
      } catch (refusal) {
        apiError = toApiError(refusal);
      }
    }
    if (apiError.code === "internal" || apiError.code === "unavailable") {
      console.error(
        JSON.stringify({
          level: "error",
          requestId: c.get("requestId"),
          method: c.req.method,
          path: c.req.path,
          error: describe(apiError.cause ?? error),
        }),
      );
    }
    return problemResponse(c, apiError);
  });
  return app;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
