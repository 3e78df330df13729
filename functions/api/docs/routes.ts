// GET /api/docs: the API reference, rendered on the server from the very document /api/openapi.json serves.
import { createRouter, type Router } from "../../app.ts";
import { type OpenApiDocument, renderReference } from "./render.ts";

/** Whatever serves /api/openapi.json: the Worker's app. */
type DocumentSource = Pick<Router, "fetch">;

// The document is fixed for a deployment, so each isolate renders the page once.
let page: string | undefined;

export function docsRoutes(source: DocumentSource) {
  return createRouter().get("/api/docs", async (c) => {
    if (page === undefined) {
      const response = await source.fetch(
        new Request(new URL("/api/openapi.json", c.req.url)),
        c.env,
        c.executionCtx,
      );
      if (!response.ok) return response;
      page = renderReference((await response.json()) as OpenApiDocument);
    }
    return c.html(page, 200, {
      // The page needs no script at all; say so, so nothing injected could run.
      "Content-Security-Policy":
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
      "Cache-Control": "public, max-age=300",
    });
  });
}
