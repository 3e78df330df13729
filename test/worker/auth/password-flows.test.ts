import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { INVITE_TTL_MS, oneTimeTokenStatement } from "../../../db/one-time-tokens.ts";
import { auditLog, oneTimeTokens, outbox, sessions, users } from "../../../db/schema/index.ts";
import { sha256Hex } from "../../../functions/auth/secrets.ts";
import { createUser, sessionFor } from "../factories.ts";
import { useTestDatabase } from "../support.ts";
import { loginWithJar, postJson } from "./helpers.ts";

const t = useTestDatabase();

function tokenFrom(body: string): string {
  const match = /token=([\w-]+)/.exec(body);
  if (!match?.[1]) throw new Error(`no token link in: ${body}`);
  return match[1];
}

describe("change password", () => {
  it("needs the current password, ends the other sessions and keeps this one, in two round trips", async () => {
    const user = await createUser(t.db);
    const current = await sessionFor(t.db, user);
    const other = await sessionFor(t.db, user);
    const change = (currentPassword: string) =>
      t.fetch("/api/v1/auth/password", {
        method: "POST",
        headers: { ...current.headers, "Content-Type": "application/json" },
        body: JSON.stringify({ currentPassword, newPassword: "my new long passphrase" }),
      });
    const wrong = await change("not my password");
    expect(wrong.status).toBe(422);
    let response: Response | undefined;
    expect(await t.roundTrips(async () => (response = await change(user.password)))).toBe(2);
    expect(response?.status).toBe(204);
    expect((await t.fetch("/api/v1/auth/me", { headers: current.headers })).status).toBe(200);
    expect((await t.fetch("/api/v1/auth/me", { headers: other.headers })).status).toBe(401);
    expect((await loginWithJar(t, user.email, "my new long passphrase")).response.status).toBe(200);
  });

  it("refuses a new password that is too short, saying how long it must be", async () => {
    const user = await createUser(t.db);
    const { headers } = await sessionFor(t.db, user);
    const response = await t.fetch("/api/v1/auth/password", {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/json" },
      body: JSON.stringify({ currentPassword: user.password, newPassword: "short" }),
    });
    expect(response.status).toBe(422);
    expect(JSON.stringify(await response.json())).toContain("at least 10 characters");
  });
});

describe("password reset", () => {
  it("mails a single-use link through the outbox, and the same answer for an unknown email", async () => {
    const user = await createUser(t.db, { email: "reset-me@example.com" });
    const known = await postJson(t, "/api/v1/auth/password-reset", { email: "Reset-Me@example.com" });
    const unknown = await postJson(t, "/api/v1/auth/password-reset", { email: "nobody-here@example.com" });
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(await known.json()).toEqual(await unknown.json());

    const mails = await t.db.select().from(outbox).where(eq(outbox.template, "password_reset"));
    expect(mails.map((m) => m.recipient)).toEqual(["reset-me@example.com"]);
    const token = tokenFrom(mails[0]?.body ?? "");
    const stored = await t.db.select().from(oneTimeTokens).where(eq(oneTimeTokens.userId, user.id));
    expect(stored.map((s) => s.tokenHash)).toEqual([await sha256Hex(token)]);

    const old = await sessionFor(t.db, user);
    const confirm = () =>
      postJson(t, "/api/v1/auth/password-reset/confirm", { token, newPassword: "reset passphrase here" });
    expect((await confirm()).status).toBe(204);
    expect((await t.fetch("/api/v1/auth/me", { headers: old.headers })).status).toBe(401);
    expect((await loginWithJar(t, user.email, "reset passphrase here")).response.status).toBe(200);
    expect((await loginWithJar(t, user.email, user.password)).response.status).toBe(401);

    const again = await confirm();
    expect(again.status).toBe(422);
    expect(JSON.stringify(await again.json())).toContain("expired or was already used");
    const audited = await t.db.select().from(auditLog).where(eq(auditLog.action, "auth.password.reset"));
    expect(audited.map((a) => a.actorUserId)).toEqual([user.id]);
  });

  it("refuses an expired link", async () => {
    const user = await createUser(t.db);
    const token = "an-expired-reset-token-value";
    await t.db.insert(oneTimeTokens).values({
      tokenHash: await sha256Hex(token),
      kind: "password_reset",
      userId: user.id,
      createdAt: Date.now() - 2 * 3_600_000,
      expiresAt: Date.now() - 3_600_000,
    });
    const response = await postJson(t, "/api/v1/auth/password-reset/confirm", {
      token,
      newPassword: "reset passphrase here",
    });
    expect(response.status).toBe(422);
  });
});

describe("invitations", () => {
  it("let the invitee set a password once, then log in", async () => {
    const now = Date.now();
    await t.db.insert(users).values({
      id: "invitee-1",
      email: "new@example.com",
      name: "New",
      role: "rep",
      createdAt: now,
      updatedAt: now,
    });
    const token = "invitation-token-for-new-user";
    await oneTimeTokenStatement(t.db, {
      tokenHash: await sha256Hex(token),
      kind: "invite",
      userId: "invitee-1",
      ttlMs: INVITE_TTL_MS,
    });
    // A reset token does not work as an invitation.
    const wrongKind = await postJson(t, "/api/v1/auth/password-reset/confirm", {
      token,
      newPassword: "invitee passphrase",
    });
    expect(wrongKind.status).toBe(422);

    const accept = () =>
      postJson(t, "/api/v1/auth/invitations/accept", { token, newPassword: "invitee passphrase" });
    expect((await accept()).status).toBe(204);
    expect((await accept()).status).toBe(422);
    expect((await loginWithJar(t, "new@example.com", "invitee passphrase")).response.status).toBe(200);
    const ended = await t.db.select().from(sessions).where(eq(sessions.userId, "invitee-1"));
    expect(ended).toHaveLength(1);
  });
});
