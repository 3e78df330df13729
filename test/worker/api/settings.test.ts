import { desc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLog, settings, users } from "../../../db/schema/index.ts";
import { DEFAULT_SETTINGS, toSettings } from "../../../db/settings.ts";
import { apiKeyFor, createUser, sessionFor } from "../factories.ts";
import { useTestDatabase } from "../support.ts";
import { apiCaller, problemOf, sendJson } from "./helpers.ts";

const t = useTestDatabase();
const call = apiCaller(t);

/** An admin with 2FA on: only such an admin may require it for everyone. */
async function adminHeaders(options: { totp?: boolean } = {}) {
  const admin = await createUser(t.db, { role: "admin" });
  if (options.totp ?? true) {
    await t.db
      .update(users)
      .set({ totpSecret: "JBSWY3DPEHPK3PXP", totpEnabledAt: Date.now() })
      .where(eq(users.id, admin.id));
  }
  return { admin, headers: (await sessionFor(t.db, admin)).headers };
}

const patch = (body: unknown, headers: Record<string, string>) =>
  call("/api/v1/settings", sendJson("PATCH", body, headers));

async function settingsChanges() {
  const rows = await t.db
    .select()
    .from(auditLog)
    .where(eq(auditLog.action, "settings.changed"))
    .orderBy(desc(auditLog.id));
  return rows;
}

describe("reading settings", () => {
  it("gives every role the defaults for settings never set, in one round trip", async () => {
    const reader = await createUser(t.db, { role: "read_only" });
    const { headers } = await sessionFor(t.db, reader);
    let body: unknown;
    const trips = await t.roundTrips(async () => {
      const response = await call("/api/v1/settings", { headers });
      expect(response.status).toBe(200);
      body = await response.json();
    });
    expect(trips).toBe(1);
    expect(body).toEqual({
      require2fa: false,
      repsSeeTeamRecords: false,
      defaultPhoneRegion: "US",
      timeZone: "UTC",
    });
  });

  it("accepts an API key granted settings:read and refuses one without it", async () => {
    const rep = await createUser(t.db, { role: "rep" });
    const granted = await apiKeyFor(t.db, rep, ["settings:read"]);
    const other = await apiKeyFor(t.db, rep, ["contacts:*"]);
    expect((await call("/api/v1/settings", { headers: granted.headers })).status).toBe(200);
    const refused = await call("/api/v1/settings", { headers: other.headers });
    expect(refused.status).toBe(403);
    expect((await problemOf(refused)).code).toBe("forbidden");
    expect((await call("/api/v1/settings")).status).toBe(401);
  });

  it("falls back to the default for a stored value that is no longer valid, and ignores unknown keys", () => {
    const rows = [
      { key: "require2fa", value: "true" },
      { key: "timeZone", value: '"Nowhere/Atlantis"' },
      { key: "defaultPhoneRegion", value: "not json" },
      { key: "retired", value: "1" },
    ];
    expect(toSettings(rows)).toEqual({ ...DEFAULT_SETTINGS, require2fa: true });
  });
});

describe("changing settings", () => {
  it("updates only the given settings in one round trip and audits old → new with actor and origin", async () => {
    const { admin, headers } = await adminHeaders();
    let body: unknown;
    const trips = await t.roundTrips(async () => {
      const response = await patch(
        { require2fa: true, defaultPhoneRegion: "de", timeZone: "europe/paris" },
        { ...headers, "CF-Connecting-IP": "198.51.100.7", "User-Agent": "admin-console" },
      );
      expect(response.status).toBe(200);
      body = await response.json();
    });
    expect(trips).toBe(1);
    const expected = {
      require2fa: true,
      repsSeeTeamRecords: false,
      defaultPhoneRegion: "DE",
      timeZone: "Europe/Paris",
    };
    expect(body).toEqual(expected);
    expect(await (await call("/api/v1/settings", { headers })).json()).toEqual(expected);

    const [entry] = await settingsChanges();
    expect(entry).toMatchObject({
      actorUserId: admin.id,
      actorApiKeyId: null,
      targetType: "settings",
      ip: "198.51.100.7",
      userAgent: "admin-console",
    });
    expect(JSON.parse(entry?.changes ?? "null")).toEqual({
      require2fa: { from: false, to: true },
      defaultPhoneRegion: { from: "US", to: "DE" },
      timeZone: { from: "UTC", to: "Europe/Paris" },
    });

    // A second change records the stored value as "from", and leaves out what did not change.
    expect((await patch({ timeZone: "America/New_York", require2fa: true }, headers)).status).toBe(200);
    const [next] = await settingsChanges();
    expect(JSON.parse(next?.changes ?? "null")).toEqual({
      timeZone: { from: "Europe/Paris", to: "America/New_York" },
    });
  });

  it("writes nothing, not even an audit entry, when no value changes", async () => {
    const { headers } = await adminHeaders();
    expect((await patch({ repsSeeTeamRecords: true }, headers)).status).toBe(200);
    const [stored] = await t.db.select().from(settings).where(eq(settings.key, "repsSeeTeamRecords"));
    const entries = (await settingsChanges()).length;
    const response = await patch({ repsSeeTeamRecords: true }, headers);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { repsSeeTeamRecords: boolean }).repsSeeTeamRecords).toBe(true);
    expect(await settingsChanges()).toHaveLength(entries);
    const [after] = await t.db.select().from(settings).where(eq(settings.key, "repsSeeTeamRecords"));
    expect(after?.updatedAt).toBe(stored?.updatedAt);
  });

  it("records the API key an admin changed settings through", async () => {
    const admin = await createUser(t.db, { role: "admin" });
    const key = await apiKeyFor(t.db, admin, ["settings:write"]);
    expect((await patch({ defaultPhoneRegion: "GB" }, key.headers)).status).toBe(200);
    const [entry] = await settingsChanges();
    expect(entry).toMatchObject({ actorUserId: admin.id, actorApiKeyId: key.id });
  });
});

describe("changing settings: refused", () => {
  it("answers 422 naming the field for values that are not valid, after checking the caller in one round trip", async () => {
    const { headers } = await adminHeaders();
    const before = await (await call("/api/v1/settings", { headers })).json();
    const cases: [unknown, string][] = [
      [{ defaultPhoneRegion: "XX" }, "defaultPhoneRegion"],
      [{ defaultPhoneRegion: "USA" }, "defaultPhoneRegion"],
      [{ timeZone: "Mars/Olympus_Mons" }, "timeZone"],
      [{ timeZone: "+02:00" }, "timeZone"],
      [{ require2fa: "yes" }, "require2fa"],
      [{ requireTwoFactor: true }, ""],
      [{}, ""],
    ];
    for (const [body, path] of cases) {
      let response: Response | undefined;
      const trips = await t.roundTrips(async () => {
        response = await patch(body, headers);
      });
      expect(response?.status, JSON.stringify(body)).toBe(422);
      expect(trips).toBe(1);
      const problem = await problemOf(response as Response);
      expect(problem.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
    }
    expect(await (await call("/api/v1/settings", { headers })).json()).toEqual(before);
  });

  it("refuses to require 2FA for everyone while the admin asking has none, and changes nothing", async () => {
    // While 2FA is not yet required (earlier tests in this file turn it on).
    await t.db.delete(settings).where(eq(settings.key, "require2fa"));
    const { headers } = await adminHeaders({ totp: false });
    const changesBefore = (await settingsChanges()).length;
    const settingsBefore = await t.db.select().from(settings);
    const response = await patch({ require2fa: true, timeZone: "Asia/Tokyo" }, headers);
    expect(response.status).toBe(409);
    expect((await problemOf(response)).detail).toMatch(
      /Turn on two-factor authentication for yourself first/,
    );
    expect(await settingsChanges()).toHaveLength(changesBefore);
    expect(await t.db.select().from(settings)).toEqual(settingsBefore);
  });

  it("refuses every role but admin, and an admin's key without settings:write, with 403", async () => {
    const stored = await t.db.select().from(settings);
    const entries = await settingsChanges();
    for (const role of ["manager", "rep", "read_only"] as const) {
      const user = await createUser(t.db, { role });
      const { headers } = await sessionFor(t.db, user);
      expect((await patch({ require2fa: true }, headers)).status, role).toBe(403);
    }
    const admin = await createUser(t.db, { role: "admin" });
    const readOnlyKey = await apiKeyFor(t.db, admin, ["settings:read"]);
    expect((await patch({ require2fa: true }, readOnlyKey.headers)).status).toBe(403);
    expect(await t.db.select().from(settings)).toEqual(stored);
    expect(await settingsChanges()).toEqual(entries);
  });
});
