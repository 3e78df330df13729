import { describe, expect, it } from "vitest";
import pkg from "../../package.json" with { type: "json" };
import { useTestDatabase } from "./support.ts";

const t = useTestDatabase();

describe("GET /health", () => {
  it("answers 200 with the database ok after one real query", async () => {
    let response: Response | undefined;
    const trips = await t.roundTrips(async () => {
      response = await t.fetch("/health");
    });
    expect(response?.status).toBe(200);
    expect(await response?.json()).toEqual({
      status: "ok",
      db: "ok",
      version: pkg.version,
      cron: { lastRunAt: null },
    });
    expect(trips).toBe(1);
  });

  it("reports when the scheduler last ran", async () => {
    const scheduledTime = Date.UTC(2026, 0, 1, 12, 0);
    await t.scheduled("* * * * *", scheduledTime);
    const body = (await (await t.fetch("/health")).json()) as { cron: { lastRunAt: number } };
    expect(body.cron.lastRunAt).toBeGreaterThan(0);
  });

  it("answers 503, promptly, when the database is unreachable", async () => {
    // Port 9 (discard) on loopback: nothing listens there, so the connection is refused.
    const down = useTestDatabase({ LIBSQL_URL: "http://127.0.0.1:9/" });
    const response = await down.fetch("/health");
    expect(response.status).toBe(503);
    expect(response.headers.get("Retry-After")).toBe("5");
    expect(await response.json()).toEqual({ status: "unavailable", db: "unreachable", version: pkg.version });
  });

  it("has a liveness probe that does not touch the database", async () => {
    let response: Response | undefined;
    const trips = await t.roundTrips(async () => {
      response = await t.fetch("/health/live");
    });
    expect(response?.status).toBe(200);
    expect(trips).toBe(0);
  });
});
