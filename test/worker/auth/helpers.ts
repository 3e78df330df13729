// Helpers for the auth tests: log in through the Worker and carry its cookies as a browser would.
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
