// A team's Slack and Microsoft Teams incoming webhooks: admins and the team's own managers (its leads among
// them) read, set and remove them; other managers get 404 (the team's webhooks are not theirs to see), reps and
// read-only users 403. URLs are validated as the caller's own webhooks are, and answered masked.
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import {
  changeTeamWebhooksStatements,
  managedTeamQuery,
  teamWebhooksQuery,
} from "../../../db/notifications/team-webhooks.ts";
import { WEBHOOK_CHANNELS, type WebhookChannel } from "../../../db/schema/index.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import type { AppEnv } from "../../env.ts";
import { ApiError } from "../../errors.ts";
import { body, json } from "../../openapi.ts";
import { requestOrigin } from "../../request-origin.ts";
import { WebhooksPatch, WebhooksView, webhooksView } from "../notifications/webhook-schemas.ts";

const IdParams = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "id", in: "path" } }),
});

const TeamWebhooksPatch = WebhooksPatch.refine(
  (value) => Object.keys(value).length > 0,
  "Give slack, teams or both",
).openapi("TeamWebhooksPatch");

const tags = ["Teams"];
const roles = ["admin", "manager"] as const;
const read = { scope: "teams:read", roles } as const;
const write = { scope: "teams:write", roles, write: true } as const;

const getRoute = defineRoute({
  method: "get",
  path: "/api/v1/teams/{id}/webhooks",
  tags,
  summary: "The team's Slack and Teams incoming webhooks, masked",
  access: read,
  record: "team_webhooks",
  request: { params: IdParams },
  responses: { 200: json(WebhooksView, "The team's webhooks, masked") },
});

const putRoute = defineRoute({
  method: "put",
  path: "/api/v1/teams/{id}/webhooks",
  tags,
  summary: "Set (a URL) or remove (null) the team's Slack and Teams incoming webhooks",
  description:
    "Members who choose Slack or Teams for a kind of notification get it in the team's channel as well as in " +
    "their own. The URL is a credential: it is stored, never shown again whole.",
  access: write,
  record: "team_webhooks",
  request: { params: IdParams, ...body(TeamWebhooksPatch) },
  responses: { 200: json(WebhooksView, "The team's webhooks after the change, masked") },
});

const deleteRoute = defineRoute({
  method: "delete",
  path: "/api/v1/teams/{id}/webhooks",
  tags,
  summary: "Remove the team's webhook for one channel, or both when no channel is given",
  access: write,
  record: "team_webhooks",
  request: {
    params: IdParams,
    query: z.object({ channel: z.enum(WEBHOOK_CHANNELS).optional() }),
  },
  responses: { 204: { description: "Removed (or there was none)" } },
});

function writeContext(c: Context<AppEnv>) {
  return { origin: requestOrigin(c), now: Date.now() };
}

export const teamWebhookRoutes = createRouter()
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const db = c.get("db");
    const {
      results: [managed, rows],
    } = await authorizedRead(
      c,
      (me) => [managedTeamQuery(db, me, id), teamWebhooksQuery(db, me, id)] as const,
    );
    if (!managed[0]?.managed) throw new ApiError("not_found", "Not found");
    return c.json(webhooksView(rows), 200);
  })
  .openapi(putRoute, async (c) => {
    const { id } = c.req.valid("param");
    const changes = c.req.valid("json");
    const db = c.get("db");
    const { results } = await authorizedWrite(c, (me) =>
      changeTeamWebhooksStatements(db, me, id, changes, writeContext(c)),
    );
    return c.json(webhooksView(results.at(-1) as Awaited<ReturnType<typeof teamWebhooksQuery>>), 200);
  })
  .openapi(deleteRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { channel } = c.req.valid("query");
    const channels: readonly WebhookChannel[] = channel ? [channel] : WEBHOOK_CHANNELS;
    const changes = Object.fromEntries(channels.map((name) => [name, null]));
    await authorizedWrite(c, (me) =>
      changeTeamWebhooksStatements(c.get("db"), me, id, changes, writeContext(c)),
    );
    return c.body(null, 204);
  });
