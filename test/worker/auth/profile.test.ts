// Users change their own name, language and time zone (PATCH /api/v1/auth/me), whatever their role: the record
// the digest, reminders and sequences read, not a setting kept in one browser. Audited; bad values refused with
// what to send, changing nothing; nobody changes anyone else's this way.
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLog, users } from "../../../db/schema/index.ts";
import { apiKeyFor, createUser, sessionFor } from "../factories.ts";
import { useTestDatabase } from "../support.ts";

const t = useTestDatabase();

function patchMe(headers: Record<string, string>, body: unknown) {
  return t.fetch("/api/v1/auth/me", {
    method: "PATCH",
    headers: { ...headers, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function stored(id: string) {
  const [row] = await t.db
    .select({ name: users.name, locale: users.locale, timeZone: users.timeZone })
    .from(users)
    .where(eq(users.id, id));
  return row;
}

describe("your own profile", () => {
  it("is changed by a rep and a read-only user alike, in one round trip, and audited", async () => {
    for (const role of ["rep", "read_only"] as const) {
      const user = await createUser(t.db, { role, name: "Before" });
      const { headers } = await sessionFor(t.db, user);
      let response: Response | undefined;
      const trips = await t.roundTrips(async () => {
        response = await patchMe(headers, {
          name: "Nguyễn Thảo",
          locale: "vi",
          timeZone: "Asia/Ho_Chi_Minh",
        });
      });
      expect(trips).toBe(1);
      expect(response?.status).toBe(200);
      expect(await response?.json()).toMatchObject({
        id: user.id,
        name: "Nguyễn Thảo",
        locale: "vi",
        timeZone: "Asia/Ho_Chi_Minh",
        role,
      });
      expect(await stored(user.id)).toEqual({
        name: "Nguyễn Thảo",
        locale: "vi",
        timeZone: "Asia/Ho_Chi_Minh",
      });
      const me = await (await t.fetch("/api/v1/auth/me", { headers })).json();
      expect(me).toMatchObject({ locale: "vi", timeZone: "Asia/Ho_Chi_Minh" });
      const [entry] = await t.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.action, "user.updated"), eq(auditLog.targetId, user.id)));
      expect(entry?.actorUserId).toBe(user.id);
      expect(JSON.parse(entry?.changes ?? "{}")).toMatchObject({
        name: { from: "Before", to: "Nguyễn Thảo" },
        timeZone: { from: "UTC", to: "Asia/Ho_Chi_Minh" },
      });
    }
  });

  it("changes only what is sent", async () => {
    const user = await createUser(t.db, { name: "Keeps Name" });
    const { headers } = await sessionFor(t.db, user);
    expect((await patchMe(headers, { timeZone: "America/New_York" })).status).toBe(200);
    expect(await stored(user.id)).toEqual({ name: "Keeps Name", locale: "en", timeZone: "America/New_York" });
  });

  it("is changed through an API key with profile:write, for the key's user", async () => {
    const user = await createUser(t.db);
    const key = await apiKeyFor(t.db, user, ["profile:read", "profile:write"]);
    const response = await patchMe(key.headers, { locale: "en-GB" });
    expect(response.status).toBe(200);
    expect(await stored(user.id)).toMatchObject({ locale: "en-GB" });
    const readOnlyKey = await apiKeyFor(t.db, user, ["profile:read"]);
    expect((await patchMe(readOnlyKey.headers, { locale: "vi" })).status).toBe(403);
    expect(await stored(user.id)).toMatchObject({ locale: "en-GB" });
  });

  it("refuses bad values, unknown fields and an empty change with 422 saying what to send, changing nothing", async () => {
    const user = await createUser(t.db, { name: "Unchanged" });
    const { headers } = await sessionFor(t.db, user);
    for (const [body, says] of [
      [{ timeZone: "Mars/Olympus" }, /IANA time zone/],
      [{ locale: "not a language!" }, /language tag/],
      [{ name: "" }, /name/],
      [{ role: "admin" }, /role/],
      [{}, /Send name, locale or timeZone/],
    ] as const) {
      const response = await patchMe(headers, body);
      expect(response.status, JSON.stringify(body)).toBe(422);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
      expect(JSON.stringify(await response.json())).toMatch(says);
    }
    const malformed = await t.fetch("/api/v1/auth/me", {
      method: "PATCH",
      headers: { ...headers, "Content-Type": "application/json" },
      body: "{not json",
    });
    expect(malformed.status).toBe(400);
    expect(await stored(user.id)).toEqual({ name: "Unchanged", locale: "en", timeZone: "UTC" });
  });

  it("needs a caller", async () => {
    const response = await t.fetch("/api/v1/auth/me", {
      method: "PATCH",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: "Anyone" }),
    });
    expect(response.status).toBe(401);
  });
});
