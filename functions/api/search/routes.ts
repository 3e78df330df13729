// Global search for the SPA's quick-search box: the best matches among the contacts, companies and deals the
// caller may see, in one round trip (db/search.ts).
import { z } from "@hono/zod-openapi";
import { searchHits, searchQueries } from "../../../db/search.ts";
import { authorizedRead, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import { json } from "../../openapi.ts";

const SearchQuery = z.object({
  q: z
    .string()
    .max(200)
    .default("")
    .openapi({
      description:
        "Words to look for, case- and accent-insensitive (`nguyen van a` finds `Nguyễn Văn A`), the last one a " +
        "prefix. Without words: the most recently changed records.",
      example: "nguyen van",
    }),
  limit: z.coerce.number().int().min(1).max(50).default(10),
});

const SearchHit = z
  .object({
    type: z.enum(["contact", "company", "deal"]),
    id: z.string(),
    name: z.string(),
    detail: z.string().nullable().openapi({
      description: "A contact's email (or job title, phone), a company's domain, a deal's stage and amount.",
    }),
  })
  .openapi("SearchHit");

const searchRoute = defineRoute({
  method: "get",
  path: "/api/v1/search",
  tags: ["Search"],
  summary: "Search contacts, companies and deals at once",
  description:
    "The best `limit` matches across the three kinds, best first. Deals and companies are left out for an API " +
    "key without `deals:read` / `companies:read`. One page only: `nextCursor` is always null.",
  access: { scope: "contacts:read" },
  record: "contact",
  request: { query: SearchQuery },
  responses: {
    200: json(
      z.object({ items: z.array(SearchHit), nextCursor: z.null() }).openapi("SearchResults"),
      "The matches, best first",
    ),
  },
});

export const searchRoutes = createRouter().openapi(searchRoute, async (c) => {
  const { q, limit } = c.req.valid("query");
  const { principal, results } = await authorizedRead(c, (me) =>
    searchQueries(c.get("db"), me, { q, limit }),
  );
  return c.json({ items: searchHits(results, { limit, grants: principal.grants }), nextCursor: null }, 200);
});
