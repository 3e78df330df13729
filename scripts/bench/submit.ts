// Form submit throughput: POST /f/{formId} through wrangler dev, each request a valid JSON submission from its
// own visitor and address (so neither the per-address limit nor the spam rules turn it away), answered 202
// once the capture queue took it. Measured like the bare Worker ceiling (scripts/bench/worker.ts), whose figure
// it is set against. The forms are made through the API as the bench admin; several, used in turn, because
// each form's own burst limit (wrangler.toml FORM_RATE_LIMITER) is below what this machine can send.
import autocannon from "autocannon";
import { login } from "./dataset.ts";
import type { ThroughputResult } from "./worker.ts";

export interface SubmitResult extends ThroughputResult {
  accepted: number;
  forms: number;
}

const FORMS = 16;

/** Forms to post to, created through the API, and read once by the edge as a visitor's page would. */
export async function prepareSubmitForms(
  workerUrl: string,
  admin: { email: string; password: string },
  count = FORMS,
): Promise<string[]> {
  const cookie = await login(workerUrl, admin.email, admin.password);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${workerUrl}/api/v1/forms`, {
      method: "POST",
      headers: { Cookie: cookie, "X-CRM-Request": "1", "Content-Type": "application/json" },
      body: JSON.stringify({
        name: `Bench form ${i + 1}`,
        fields: [
          { key: "email", type: "email", label: { en: "Email" }, required: true, mapTo: "contact.email" },
          { key: "first_name", type: "text", label: { en: "First name" }, mapTo: "contact.firstName" },
        ],
      }),
    });
    if (response.status !== 201)
      throw new Error(`Creating a bench form failed: ${response.status} ${await response.text()}`);
    const { id } = (await response.json()) as { id: string };
    const definition = await fetch(`${workerUrl}/f/${id}/definition`);
    await definition.arrayBuffer();
    ids.push(id);
  }
  return ids;
}

export async function benchSubmit(
  workerUrl: string,
  formIds: string[],
  options: { seconds: number; connections: number },
): Promise<SubmitResult> {
  let n = 0;
  const result = await autocannon({
    url: workerUrl,
    connections: options.connections,
    duration: options.seconds,
    requests: [
      {
        method: "POST",
        setupRequest: (request) => {
          n += 1;
          const formId = formIds[n % formIds.length];
          return {
            ...request,
            path: `/f/${formId}`,
            headers: {
              "content-type": "application/json",
              "cf-connecting-ip": `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
            },
            body: JSON.stringify({
              submissionId: crypto.randomUUID(),
              visitorId: `bench-visitor-${n}`,
              fields: { email: `lead-${n}@bench.example`, first_name: `Lead ${n}` },
              consent: true,
              // Filled in over ten seconds: past the form's minimum fill time, so not spam.
              renderedAt: Date.now() - 10_000,
              page: { url: "https://site.example/pricing?utm_source=bench", referrer: null },
              honeypot: "",
            }),
          };
        },
      },
    ],
  });
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    accepted: result.statusCodeStats?.["202"]?.count ?? 0,
    forms: formIds.length,
  };
}
