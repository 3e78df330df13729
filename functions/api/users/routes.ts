// The user directory (every role reads it, to assign records to colleagues) and the admin's user management:
// invite, change, deactivate, invite again.
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ROLES } from "../../../db/schema/index.ts";
import { type Invitation, inviteUser, resendInvitation, updateUser } from "../../../db/user-writes.ts";
import { listUsersQuery, readUserQuery, toUser, userPage } from "../../../db/users.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import { randomToken, sha256Hex } from "../../auth/secrets.ts";
import type { AppEnv } from "../../env.ts";
import { problemContent } from "../../errors.ts";
import { body, json, pageQuery } from "../../openapi.ts";
import { requestOrigin } from "../../request-origin.ts";
import { Locale, Name, TimeZone } from "./profile-fields.ts";

const Id = z.string().min(1).max(64);
const Role = z.enum(ROLES);
const Email = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email().max(254))
  .openapi({ format: "email", example: "ada@example.com", description: "Stored trimmed and lower-cased." });
const TeamIds = z
  .array(Id)
  .max(100)
  .refine((ids) => new Set(ids).size === ids.length, "Each team once.");

/** Leads are among the teams, and only a manager leads (when the role is part of the same request). */
function checkLeads(
  value: { role?: string | undefined; teamIds?: string[] | undefined; leadTeamIds?: string[] | undefined },
  ctx: z.RefinementCtx,
) {
  const leads = value.leadTeamIds ?? [];
  if (leads.length === 0) return;
  if (!value.teamIds) {
    ctx.addIssue({ code: "custom", path: ["leadTeamIds"], message: "Send teamIds with leadTeamIds." });
  } else if (leads.some((id) => !value.teamIds?.includes(id))) {
    ctx.addIssue({
      code: "custom",
      path: ["leadTeamIds"],
      message: "Every lead team must be one of teamIds.",
    });
  }
  if (value.role !== undefined && value.role !== "manager") {
    ctx.addIssue({ code: "custom", path: ["leadTeamIds"], message: "Only managers lead teams." });
  }
}

const UserSchema = z
  .object({
    id: Id,
    email: z.string(),
    name: z.string(),
    locale: z.string(),
    timeZone: z.string(),
    role: Role,
    active: z.boolean(),
    invitationPending: z.boolean().openapi({ description: "Invited, and no password set yet." }),
    teams: z.array(z.object({ id: Id, name: z.string(), lead: z.boolean() })),
    createdAt: z.number().int().openapi({ description: "Epoch milliseconds." }),
    updatedAt: z.number().int().openapi({ description: "Epoch milliseconds." }),
  })
  .openapi("User");

const UserPageSchema = z
  .object({
    items: z.array(UserSchema),
    nextCursor: z
      .string()
      .nullable()
      .openapi({ description: "Pass as `cursor` for the next page; null at the end." }),
  })
  .openapi("UserPage");

const ListUsersQuery = z.object({
  role: Role.optional(),
  active: z
    .enum(["true", "false"])
    .optional()
    .transform((value) => (value === undefined ? undefined : value === "true")),
  teamId: Id.optional(),
  q: z.string().trim().min(1).max(100).optional().openapi({ description: "Part of the name or email." }),
  ...pageQuery({ cursor: Id }),
});

const InviteBody = z
  .strictObject({
    email: Email,
    name: Name,
    role: Role,
    teamIds: TeamIds.default([]),
    leadTeamIds: TeamIds.default([]).openapi({ description: "The teams among teamIds a manager leads." }),
    locale: Locale.optional(),
    timeZone: TimeZone.optional(),
  })
  .superRefine(checkLeads)
  .openapi("UserInvite");

const UserPatchBody = z
  .strictObject({
    name: Name.optional(),
    locale: Locale.optional(),
    timeZone: TimeZone.optional(),
    role: Role.optional(),
    active: z
      .boolean()
      .optional()
      .openapi({ description: "false revokes the user's sessions and API keys." }),
    teamIds: TeamIds.optional().openapi({ description: "Replaces the memberships." }),
    leadTeamIds: TeamIds.optional().openapi({ description: "The teams among teamIds a manager leads." }),
  })
  .superRefine(checkLeads)
  .openapi("UserPatch");

const InvitationSchema = z
  .object({ userId: Id, email: z.string(), expiresAt: z.number().int() })
  .openapi("Invitation");

const IdParams = z.object({ id: Id.openapi({ param: { name: "id", in: "path" } }) });

const tags = ["Users"];

const listUsers = defineRoute({
  method: "get",
  path: "/api/v1/users",
  tags,
  summary: "List users, active and inactive, with their teams",
  access: { scope: "users:read" },
  record: "user",
  request: { query: ListUsersQuery },
  responses: { 200: json(UserPageSchema, "One page of users, oldest first") },
});

const getUser = defineRoute({
  method: "get",
  path: "/api/v1/users/{id}",
  tags,
  summary: "One user",
  access: { scope: "users:read" },
  record: "user",
  request: { params: IdParams },
  responses: { 200: json(UserSchema, "The user") },
});

const inviteUserRoute = defineRoute({
  method: "post",
  path: "/api/v1/users",
  tags,
  summary: "Invite a user: they get an email with a link to choose their password",
  access: { scope: "users:write", roles: ["admin"], write: true },
  request: body(InviteBody),
  responses: {
    201: json(UserSchema, "Invited"),
    409: problemContent("A user with this email exists"),
  },
});

const updateUserRoute = defineRoute({
  method: "patch",
  path: "/api/v1/users/{id}",
  tags,
  summary: "Change a user's profile, role, teams, or deactivate / reactivate them",
  access: { scope: "users:write", roles: ["admin"], write: true },
  record: "user",
  request: { params: IdParams, ...body(UserPatchBody) },
  responses: {
    200: json(UserSchema, "The changed user"),
    409: problemContent("The change would leave no active admin, or makes a non-manager lead a team"),
  },
});

const resendInvitationRoute = defineRoute({
  method: "post",
  path: "/api/v1/users/{id}/invitation",
  tags,
  summary: "Send the invitation again, to a user who has not set a password; earlier links stop working",
  access: { scope: "users:write", roles: ["admin"], write: true },
  record: "user",
  request: { params: IdParams },
  responses: {
    201: json(InvitationSchema, "Sent"),
    409: problemContent("The user has set a password already, or is deactivated"),
  },
});

function writeContext(c: Context<AppEnv>) {
  return { origin: requestOrigin(c), now: Date.now() };
}

/** A new single-use token: the link carries it, the database keeps only its hash. */
async function newInvitation(c: Context<AppEnv>): Promise<Invitation> {
  const token = randomToken();
  return { tokenHash: await sha256Hex(token), link: `${new URL(c.req.url).origin}/invite?token=${token}` };
}

export const userRoutes = createRouter()
  .openapi(listUsers, async (c) => {
    const query = c.req.valid("query");
    const {
      results: [rows],
    } = await authorizedRead(c, () => [listUsersQuery(c.get("db"), query)] as const);
    return c.json(userPage(rows, query.limit), 200);
  })
  .openapi(getUser, async (c) => {
    const { id } = c.req.valid("param");
    const {
      results: [rows],
    } = await authorizedRead(c, () => [readUserQuery(c.get("db"), id)] as const);
    return c.json(toUser(rows, id), 200);
  })
  .openapi(inviteUserRoute, async (c) => {
    const op = inviteUser(c.get("db"), c.req.valid("json"), await newInvitation(c), writeContext(c));
    const { results } = await authorizedWrite(c, op.statements).catch(op.rethrow);
    const user = op.result(results);
    c.header("Location", `/api/v1/users/${user.id}`);
    return c.json(user, 201);
  })
  .openapi(updateUserRoute, async (c) => {
    const op = updateUser(c.get("db"), c.req.valid("param").id, c.req.valid("json"), writeContext(c));
    const { results } = await authorizedWrite(c, op.statements);
    return c.json(op.result(results), 200);
  })
  .openapi(resendInvitationRoute, async (c) => {
    const op = resendInvitation(
      c.get("db"),
      c.req.valid("param").id,
      await newInvitation(c),
      writeContext(c),
    );
    const { results } = await authorizedWrite(c, op.statements);
    return c.json(op.result(results), 201);
  });
