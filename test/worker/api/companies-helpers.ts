// Calls the companies, custom-field and batch routers through an app from the Worker's own factory, counting
// the database round trips each request made.
import { companyRoutes } from "../../../functions/api/companies/routes.ts";
import { contactBatchRoutes } from "../../../functions/api/contacts/batch-routes.ts";
import { contactRoutes } from "../../../functions/api/contacts/routes.ts";
import { customFieldRoutes } from "../../../functions/api/custom-fields/routes.ts";
import { createApp } from "../../../functions/app.ts";
import type { TestDatabase } from "../support.ts";

const app = createApp()
  .route("/", contactBatchRoutes)
  .route("/", contactRoutes)
  .route("/", companyRoutes)
  .route("/", customFieldRoutes);

export type Headers = Record<string, string>;
export type Json = Record<string, unknown>;

export function caller(t: TestDatabase) {
  return async (method: string, path: string, headers: Headers, body?: unknown) => {
    let response: Response | undefined;
    const trips = await t.roundTrips(async () => {
      response = await app.request(
        path,
        {
          method,
          headers: { ...headers, "Content-Type": "application/json" },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        },
        t.env,
      );
    });
    if (!response) throw new Error("no response");
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: (text ? JSON.parse(text) : {}) as Json,
      trips,
    };
  };
}
