// Helpers for the auth tests: log in through the Worker and carry its cookies as a browser would; pin the
// clock for TOTP codes; post to an app built for the test.
import { Secret, TOTP } from "otpauth";
import { afterEach, beforeEach, vi } from "vitest";
import type { Env } from "../../../functions/env.ts";
import type { TestDatabase } from "../support.ts";

export interface Jar {
  cookies: Map<string, string>;
  header(): string;
}

export function cookieJar(): Jar {
  const cookies = new Map<string, string>();
  return {
    cookies,
    header: () => [...cookies].map(([k, v]) => `${k}=${v}`).join("; "),
  };
}

/** Stores the Set-Cookie headers of a response in the jar (an expired or empty cookie removes it). */
export function keepCookies(jar: Jar, response: Response): string[] {
  const raw = response.headers.getSetCookie();
  for (const line of raw) {
    const [pair] = line.split(";");
    const [name, ...rest] = (pair ?? "").split("=");
    const value = rest.join("=");
    if (!name) continue;
    if (value === "" || /max-age=0/i.test(line)) jar.cookies.delete(name.trim());
    else jar.cookies.set(name.trim(), value);
  }
  return raw;
}

let ipCounter = 0;
/** A client address of its own, so throttle counters of different tests never meet. */
export function freshIp(): string {
  ipCounter += 1;
  return `203.0.113.${ipCounter}`;
}

export function postJson(t: TestDatabase, path: string, body: unknown, headers: Record<string, string> = {}) {
  return t.fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

export async function loginWithJar(t: TestDatabase, email: string, password: string, ip = freshIp()) {
  const jar = cookieJar();
  const response = await postJson(t, "/api/v1/auth/login", { email, password }, { "CF-Connecting-IP": ip });
  keepCookies(jar, response);
  return { jar, response };
}

/** The TOTP step, in milliseconds. */
export const TOTP_PERIOD = 30_000;

export interface PinnedTotpClock {
  /** The pinned time, epoch ms: 10 s into a step, so a test's requests all fall in the step of its codes. */
  readonly now: number;
  /** The code an authenticator app shows `steps` steps from the pinned time. */
  codeAt(secret: string, steps?: number): string;
}

/** Pins Date before each test of the file (and restores it after), at a fresh step's 10th second. */
export function usePinnedTotpClock(): PinnedTotpClock {
  let clock = 0;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
    clock = (Math.floor(Date.now() / TOTP_PERIOD) + 1) * TOTP_PERIOD + 10_000;
    vi.setSystemTime(clock);
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  return {
    get now() {
      return clock;
    },
    codeAt(secret, steps = 0) {
      return TOTP.generate({
        secret: Secret.fromBase32(secret),
        algorithm: "SHA1",
        digits: 6,
        period: 30,
        timestamp: clock + steps * TOTP_PERIOD,
      });
    },
  };
}

interface TestApp {
  request(path: string, init: RequestInit, env: Env): Response | Promise<Response>;
}

/** POSTs to `app` on the test file's database, with a JSON body when one is given. */
export function poster(app: TestApp, t: TestDatabase) {
  return (path: string, headers: Record<string, string>, body?: unknown) =>
    app.request(
      path,
      {
        method: "POST",
        headers: { "Content-Type": "application/json", ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      },
      t.env,
    );
}
