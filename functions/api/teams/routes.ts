// Teams: every role reads them (with members and leads); admins create, rename and staff them.
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { keysetPage } from "../../../db/paging.ts";
import { createTeam, listTeamsQuery, renameTeam, replaceMembers, toTeamView } from "../../../db/teams.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import type { AppEnv } from "../../env.ts";
import { problemContent } from "../../errors.ts";
import { body, json, pageQuery } from "../../openapi.ts";
import { requestOrigin } from "../../request-origin.ts";

const Id = z.string().min(1).max(64);
const TeamName = z.string().trim().min(1).max(100).openapi({ example: "Enterprise EMEA" });
const Members = z
  .array(z.strictObject({ userId: Id, lead: z.boolean().default(false) }))
  .max(500)
  .refine((members) => new Set(members.map((m) => m.userId)).size === members.length, "Each user once.")
  .openapi({ description: "Only managers can lead." });

const TeamSchema = z
  .object({
    id: Id,
    name: z.string(),
    createdAt: z.number().int().openapi({ description: "Epoch milliseconds." }),
    members: z.array(
      z.object({ userId: Id, name: z.string(), email: z.string(), active: z.boolean(), lead: z.boolean() }),
    ),
  })
  .openapi("Team");

const TeamPageSchema = z
  .object({
    items: z.array(TeamSchema),
    nextCursor: z
      .string()
      .nullable()
      .openapi({ description: "Pass as `cursor` for the next page; null at the end." }),
  })
  .openapi("TeamPage");

const ListTeamsQuery = z.object(pageQuery({ cursor: Id, defaultLimit: 100 }));

const IdParams = z.object({ id: Id.openapi({ param: { name: "id", in: "path" } }) });

const tags = ["Teams"];
const adminWrite = { scope: "teams:write", roles: ["admin"], write: true } as const;

const listTeams = defineRoute({
  method: "get",
  path: "/api/v1/teams",
  tags,
  summary: "List teams with their members and leads",
  access: { scope: "teams:read" },
  record: "team",
  request: { query: ListTeamsQuery },
  responses: { 200: json(TeamPageSchema, "One page of teams, oldest first") },
});

const createTeamRoute = defineRoute({
  method: "post",
  path: "/api/v1/teams",
  tags,
  summary: "Create a team",
  access: adminWrite,
  request: body(z.strictObject({ name: TeamName, members: Members.default([]) }).openapi("TeamCreate")),
  responses: {
    201: json(TeamSchema, "Created"),
    409: problemContent("A team with this name exists, or a lead is not a manager"),
  },
});

const renameTeamRoute = defineRoute({
  method: "patch",
  path: "/api/v1/teams/{id}",
  tags,
  summary: "Rename a team",
  access: adminWrite,
  record: "team",
  request: { params: IdParams, ...body(z.strictObject({ name: TeamName }).openapi("TeamPatch")) },
  responses: {
    200: json(TeamSchema, "Renamed"),
    409: problemContent("A team with this name exists"),
  },
});

const replaceMembersRoute = defineRoute({
  method: "put",
  path: "/api/v1/teams/{id}/members",
  tags,
  summary: "Replace a team's members and leads",
  access: adminWrite,
  record: "team",
  request: { params: IdParams, ...body(z.strictObject({ members: Members }).openapi("TeamMembers")) },
  responses: {
    200: json(TeamSchema, "The team with its new members"),
    409: problemContent("A lead is not a manager"),
  },
});

function writeContext(c: Context<AppEnv>) {
  return { origin: requestOrigin(c), now: Date.now() };
}

export const teamRoutes = createRouter()
  .openapi(listTeams, async (c) => {
    const query = c.req.valid("query");
    const {
      results: [rows],
    } = await authorizedRead(c, () => [listTeamsQuery(c.get("db"), query)] as const);
    return c.json(keysetPage(rows, query.limit, toTeamView), 200);
  })
  .openapi(createTeamRoute, async (c) => {
    const op = createTeam(c.get("db"), c.req.valid("json"), writeContext(c));
    const { results } = await authorizedWrite(c, op.statements).catch(op.rethrow);
    return c.json(op.result(results), 201);
  })
  .openapi(renameTeamRoute, async (c) => {
    const op = renameTeam(c.get("db"), c.req.valid("param").id, c.req.valid("json").name, writeContext(c));
    const { results } = await authorizedWrite(c, op.statements).catch(op.rethrow);
    return c.json(op.result(results), 200);
  })
  .openapi(replaceMembersRoute, async (c) => {
    const op = replaceMembers(
      c.get("db"),
      c.req.valid("param").id,
      c.req.valid("json").members,
      writeContext(c),
    );
    const { results } = await authorizedWrite(c, op.statements);
    return c.json(op.result(results), 200);
  });
