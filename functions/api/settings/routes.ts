// Organisation settings: anyone signed in reads them, admins change them (validated, audited old → new).
import { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { denyUnless } from "../../../db/access.ts";
import { users } from "../../../db/schema/index.ts";
import {
  canonicalTimeZone,
  DEFAULT_SETTINGS,
  isRegionCode,
  readSettingsQuery,
  toSettings,
  updateSettingsStatements,
} from "../../../db/settings.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import { body, json } from "../../openapi.ts";
import { requestOrigin } from "../../request-origin.ts";

const Settings = z
  .object({
    require2fa: z.boolean().openapi({ description: "Every user must enrol a second factor" }),
    repsSeeTeamRecords: z
      .boolean()
      .openapi({ description: "Reps see their teams' records, not only their own" }),
    defaultPhoneRegion: z.string().openapi({ description: "ISO 3166-1 alpha-2", example: "US" }),
    timeZone: z.string().openapi({ description: "IANA time zone", example: "Europe/Paris" }),
  })
  .openapi("Settings", { default: DEFAULT_SETTINGS });

const SettingsPatch = z
  .strictObject({
    require2fa: z.boolean().optional(),
    repsSeeTeamRecords: z.boolean().optional(),
    defaultPhoneRegion: z
      .string()
      .trim()
      .toUpperCase()
      .refine(isRegionCode, "must be an ISO 3166-1 alpha-2 country code, e.g. US")
      .optional(),
    timeZone: z
      .string()
      .trim()
      .transform((value, ctx) => {
        const zone = canonicalTimeZone(value);
        if (zone) return zone;
        ctx.addIssue({ code: "custom", message: "must be an IANA time zone, e.g. Europe/Paris" });
        return z.NEVER;
      })
      .optional(),
  })
  .refine((patch) => Object.values(patch).some((value) => value !== undefined), "give at least one setting")
  .openapi("SettingsPatch");

const readRoute = defineRoute({
  method: "get",
  path: "/api/v1/settings",
  tags: ["Settings"],
  summary: "The organisation's settings, with defaults for those never set",
  access: { scope: "settings:read" },
  responses: { 200: json(Settings, "The settings") },
});

const updateRoute = defineRoute({
  method: "patch",
  path: "/api/v1/settings",
  tags: ["Settings"],
  summary: "Change some settings; the others keep their values",
  access: { scope: "settings:write", roles: ["admin"], write: true },
  request: body(SettingsPatch),
  responses: { 200: json(Settings, "The settings after the change") },
});

export const settingsRoutes = createRouter()
  .openapi(readRoute, async (c) => {
    const db = c.get("db");
    const { results } = await authorizedRead(c, () => [readSettingsQuery(db)] as const);
    return c.json(toSettings(results[0]), 200);
  })
  .openapi(updateRoute, async (c) => {
    const patch = c.req.valid("json");
    const db = c.get("db");
    const credentials = c.get("credentials");
    // An admin without 2FA who required it for everyone would lock their own session to the enrolment pages.
    const enrolledFirst =
      patch.require2fa === true && credentials?.kind === "session"
        ? [
            denyUnless(
              db,
              sql`exists (select 1 from ${users} where ${users.id} = ${credentials.userId} and ${users.totpEnabledAt} is not null)`,
              "conflict",
            ),
          ]
        : [];
    const { results } = await authorizedWrite(
      c,
      (me) =>
        [
          ...enrolledFirst,
          ...updateSettingsStatements(db, me, patch, requestOrigin(c), Date.now()),
          readSettingsQuery(db),
        ] as const,
      {
        conflict:
          "Turn on two-factor authentication for yourself first (POST /api/v1/auth/totp/enrol), then require it for everyone.",
      },
    );
    return c.json(toSettings(results[results.length - 1] as Parameters<typeof toSettings>[0]), 200);
  });
