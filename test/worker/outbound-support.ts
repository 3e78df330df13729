// An outbound HTTP mock for the delivery tests: answers the email providers and the Slack / Teams webhooks
// from a script, records what was sent, and passes everything else (the database) through untouched.
import { vi } from "vitest";

export interface Sent {
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

/** What the mocked endpoint does next: a status (with a JSON body), or a network failure. */
export type Answer = { status: number; json?: unknown } | "network";

const OUTBOUND =
  /^https:\/\/(api\.resend\.com|api\.mailchannels\.net|hooks\.slack\.com|[\w-]+\.webhook\.office\.com)\//;

export function mockOutbound(script: Answer[] = []) {
  const original = globalThis.fetch;
  const sent: Sent[] = [];
  const answers = [...script];
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    // Anything else (the database) goes out untouched: reading its request here would use up its body.
    if (!OUTBOUND.test(url)) return original(input, init);
    const request = new Request(input, init);
    sent.push({
      url: request.url,
      headers: Object.fromEntries(request.headers),
      body: JSON.parse(await request.text()) as unknown,
    });
    const answer = answers.shift() ?? { status: 200, json: { id: `provider-${sent.length}` } };
    if (answer === "network") throw new TypeError("Network connection lost.");
    return Response.json(answer.json ?? {}, { status: answer.status });
  });
  return { spy, sent };
}

/** Every line written to the console while the test runs, for checking that no secret is logged. */
export function captureConsole() {
  const lines: string[] = [];
  for (const method of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      lines.push(args.map((arg) => (typeof arg === "string" ? arg : JSON.stringify(arg))).join(" "));
    });
  }
  return lines;
}
