// Speed-to-lead rules (admins replace them, with If-Match) and the per-rep figures for reports.
import { z } from "@hono/zod-openapi";
import { rulesetQuery } from "../../../db/assignment/queries.ts";
import { replaceRulesetStatement, routingAuditStatement } from "../../../db/assignment/rulesets.ts";
import { repStatsQuery } from "../../../db/sla/stats.ts";
import { parseSlaRuleset, SlaRulesetSchema } from "../../../queues/sla/rules.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import { problemContent } from "../../errors.ts";
import { etag, ifMatchVersion, preconditionFailed } from "../../etag.ts";
import { body, json } from "../../openapi.ts";
import { requestOrigin } from "../../request-origin.ts";

const tags = ["Routing"];

const RulesView = z.object({ rules: SlaRulesetSchema, version: z.number().int() }).openapi("SlaRulesView");

const RepFigures = z
  .object({
    reps: z.array(
      z.object({
        userId: z.string(),
        name: z.string(),
        responses: z.number().int(),
        withinSla: z.number().int(),
        breaches: z.number().int(),
        shareWithinSla: z.number().nullable().openapi({ description: "withinSla / responses, 0 to 1" }),
        medianResponseMs: z.number().int().nullable(),
        meanResponseMs: z.number().nullable(),
      }),
    ),
  })
  .openapi("SlaRepFigures");

const readRules = defineRoute({
  method: "get",
  path: "/api/v1/sla/rules",
  tags,
  summary: "The speed-to-lead rules (ETag)",
  access: { scope: "rules:read", roles: ["admin", "manager"] },
  responses: { 200: json(RulesView, "The rules, first match wins") },
});

const replaceRules = defineRoute({
  method: "put",
  path: "/api/v1/sla/rules",
  tags,
  summary: "Replace the speed-to-lead rules (If-Match)",
  access: { scope: "rules:write", roles: ["admin"], write: true },
  request: { headers: z.object({ "if-match": z.string().optional() }), ...body(SlaRulesetSchema) },
  responses: {
    200: json(RulesView, "The rules now in force"),
    412: problemContent("The rules changed since they were read"),
  },
});

const readFigures = defineRoute({
  method: "get",
  path: "/api/v1/sla/reps",
  tags,
  summary: "Per-rep speed-to-lead: median time to first response, share within SLA, breaches",
  access: { scope: "reports:read", roles: ["admin", "manager"] },
  responses: { 200: json(RepFigures, "One entry per rep with figures") },
});

export const slaRoutes = createRouter()
  .openapi(readRules, async (c) => {
    const db = c.get("db");
    const { results } = await authorizedRead(c, () => [rulesetQuery(db, "sla")] as const);
    const row = results[0][0];
    const version = row?.version ?? 0;
    return c.json({ rules: parseSlaRuleset(row?.definition), version }, 200, { ETag: etag(version) });
  })
  .openapi(replaceRules, async (c) => {
    const db = c.get("db");
    const rules = c.req.valid("json");
    const expected = ifMatchVersion(c);
    const now = Date.now();
    const { results } = await authorizedWrite(
      c,
      (me) =>
        [
          replaceRulesetStatement(db, "sla", rules, expected, me, now),
          routingAuditStatement(db, me, { kind: "sla" }, requestOrigin(c), now),
        ] as const,
    );
    const version = results[0][0]?.version;
    if (version === undefined) throw preconditionFailed();
    return c.json({ rules, version }, 200, { ETag: etag(version) });
  })
  .openapi(readFigures, async (c) => {
    const db = c.get("db");
    const { results } = await authorizedRead(c, () => [repStatsQuery(db)] as const);
    const reps = results[0].map((r) => ({
      userId: r.userId,
      name: r.name,
      responses: r.responses,
      withinSla: r.withinSla,
      breaches: r.breaches,
      shareWithinSla: r.responses > 0 ? r.withinSla / r.responses : null,
      medianResponseMs: r.medianResponseMs,
      meanResponseMs: r.responses > 0 ? r.totalResponseMs / r.responses : null,
    }));
    return c.json({ reps }, 200);
  });
