// No request to the public form routes, however malformed, produces a 5xx: broken and hostile bodies, odd
// content types, ids, origins and query strings, against a form this location knows, one it does not, and ids
// that name none. A submit answers 202, 303 or 4xx, and every 4xx but a re-rendered form page is problem+json.
import { beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../db/ids.ts";
import { createUser, sessionFor } from "./factories.ts";
import { formBody, formsTest } from "./forms-support.ts";

const { t, call } = formsTest();

let known: string;
let cold: string;

beforeAll(async () => {
  const asAdmin = (await sessionFor(t.db, await createUser(t.db, { role: "admin" }))).headers;
  const consent = { consent: { text: { en: "OK" }, required: true } };
  known = (await call("POST", "/api/v1/forms", asAdmin, formBody(consent))).body.id as string;
  cold = (await call("POST", "/api/v1/forms", asAdmin, formBody(consent))).body.id as string;
  await call("GET", `/f/${known}/definition`);
});

const uuid = () => crypto.randomUUID();

const BODIES: [string | undefined, BodyInit][] = [
  ["application/json", "{not json"],
  ["application/json", ""],
  ["application/json", "[]"],
  ["application/json", "null"],
  ["application/json", '"a string"'],
  ["application/json", "12345678901234567890"],
  ["application/json", JSON.stringify({ fields: null })],
  ["application/json", JSON.stringify({ fields: [] })],
  ["application/json", JSON.stringify({ fields: "email=a" })],
  ["application/json", JSON.stringify({ fields: { email: { $gt: "" } } })],
  ["application/json", JSON.stringify({ fields: { email: [[["deep"]]] } })],
  ["application/json", JSON.stringify({ fields: { email: 12 }, consent: { yes: true } })],
  [
    "application/json",
    JSON.stringify({ fields: Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`f${i}`, "x"])) }),
  ],
  ["application/json", JSON.stringify({ submissionId: 42, fields: {} })],
  ["application/json", JSON.stringify({ submissionId: "../../etc/passwd", fields: {} })],
  [
    "application/json",
    JSON.stringify({ submissionId: uuid(), renderedAt: "yesterday", fields: { email: "a@b.vn" } }),
  ],
  [
    "application/json",
    JSON.stringify({ submissionId: uuid(), renderedAt: 1e308, fields: { email: "a@b.vn" }, consent: true }),
  ],
  [
    "application/json",
    JSON.stringify({ submissionId: uuid(), page: { url: "javascript:alert(1)", referrer: 5 } }),
  ],
  [
    "application/json",
    JSON.stringify({ submissionId: uuid(), page: "https://x", fields: { email: "a@b.vn" } }),
  ],
  [
    "application/json",
    JSON.stringify({ submissionId: uuid(), visitorId: "x".repeat(500), fields: { email: "a@b.vn" } }),
  ],
  ["application/json", JSON.stringify({ submissionId: uuid(), honeypot: ["x"], fields: {} })],
  ["application/json", JSON.stringify({ submissionId: uuid(), turnstileToken: { t: 1 }, fields: {} })],
  [
    "application/json",
    JSON.stringify({ submissionId: uuid(), lang: "xx-YY", fields: { email: "a@b.vn" }, consent: "on" }),
  ],
  ["application/json", JSON.stringify({ fields: { email: "nul\u0000inside@b.vn" } })],
  [
    "application/json",
    JSON.stringify({ fields: { "\u202e": "rtl", "": "empty", ["k".repeat(300)]: "long" } }),
  ],
  ["application/json; charset=iso-8859-1", JSON.stringify({ fields: { email: "a@b.vn" } })],
  ["application/vnd.api+json", JSON.stringify({ fields: { email: "a@b.vn" } })],
  ["application/json", new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])],
  ["application/x-www-form-urlencoded", "%%%&&&==="],
  ["application/x-www-form-urlencoded", "email=%E0%A4%A&_sid=%ZZ&_rendered=NaN&consent=on"],
  ["application/x-www-form-urlencoded", `_sid=${uuid()}&email=a%40b.vn&email=c%40d.vn&_rendered=-1`],
  ["application/x-www-form-urlencoded", Array.from({ length: 150 }, (_, i) => `f${i}=x`).join("&")],
  ["application/x-www-form-urlencoded", `_sid=not-a-uuid&email=a%40b.vn`],
  ["application/x-www-form-urlencoded", ""],
  ["multipart/form-data; boundary=x", "--x\r\nbroken"],
  ["multipart/form-data", "--x\r\nContent-Disposition: form-data; name=email\r\n\r\na@b.vn\r\n--x--"],
  ["multipart/form-data; boundary=", ""],
  ["text/plain", JSON.stringify({ fields: { email: "a@b.vn" } })],
  ["text/html", "<form></form>"],
  ["application/xml", "<a/>"],
  [undefined, "email=a@b.vn"],
  ["", "{}"],
  ["application/json", "x".repeat(16 * 1024 + 1)],
];

const IDS = ["%00", "..%2F..%2Fetc", "a".repeat(3000), "'; drop table forms; --", "%E2%80%AE", "0", "null"];

function checkAnswer(label: string, response: Response, body: string, problems: string[]) {
  const status = response.status;
  if (status >= 500) problems.push(`${label}: ${status} ${body.slice(0, 200)}`);
  if (![200, 202, 204, 302, 303].includes(status) && status < 500) {
    const type = response.headers.get("Content-Type") ?? "";
    const page = status === 422 && type.startsWith("text/html");
    if (!page && type !== "application/problem+json") problems.push(`${label}: ${status} as ${type}`);
  }
}

async function send(label: string, path: string, init: RequestInit, problems: string[]) {
  const response = await t.fetch(path, init);
  checkAnswer(label, response, await response.text(), problems);
  return response.status;
}

describe("malformed input to the public form routes", () => {
  it("never answers a broken submission with a 5xx, whether or not the form is known here", async () => {
    const problems: string[] = [];
    for (const form of [known, cold, newId()]) {
      for (const [type, body] of BODIES) {
        const headers: Record<string, string> = type === undefined ? {} : { "Content-Type": type };
        const label = `${form === known ? "known" : form === cold ? "cold" : "unknown"} ${type} ${String(body).slice(0, 40)}`;
        const status = await send(label, `/f/${form}`, { method: "POST", headers, body }, problems);
        if (status >= 200 && status < 300 && ![202].includes(status)) problems.push(`${label}: ${status}`);
      }
    }
    expect(problems, problems.join("\n")).toEqual([]);
  });

  it("never answers odd ids, origins, methods or queries with a 5xx", async () => {
    const problems: string[] = [];
    for (const id of IDS) {
      await send(
        `POST ${id}`,
        `/f/${id}`,
        { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" },
        problems,
      );
      await send(`GET ${id}`, `/f/${id}`, {}, problems);
      await send(`GET ${id}/definition`, `/f/${id}/definition`, {}, problems);
      await send(`GET ${id}/thanks`, `/f/${id}/thanks`, {}, problems);
      await send(
        `OPTIONS ${id}`,
        `/f/${id}`,
        { method: "OPTIONS", headers: { Origin: "https://x.example" } },
        problems,
      );
    }
    for (const origin of [
      "null",
      "https://evil.example",
      "file://",
      "x".repeat(5000),
      "https://www.example.com:99999",
    ]) {
      await send(
        `origin ${origin.slice(0, 30)}`,
        `/f/${known}`,
        { method: "OPTIONS", headers: { Origin: origin } },
        problems,
      );
      await send(
        `post from ${origin.slice(0, 30)}`,
        `/f/${known}`,
        { method: "POST", headers: { Origin: origin, "Content-Type": "application/json" }, body: "{}" },
        problems,
      );
    }
    await send("OPTIONS without origin", `/f/${known}`, { method: "OPTIONS" }, problems);
    for (const query of ["?lang=", "?lang=%FF", "?lang=vi&lang=en", `?lang=${"v".repeat(3000)}`]) {
      await send(
        `page ${query}`,
        `/f/${known}${query}`,
        { headers: { "Accept-Language": "*;q=x,,;" } },
        problems,
      );
      await send(`thanks ${query}`, `/f/${known}/thanks${query}`, {}, problems);
    }
    for (const method of ["PUT", "PATCH", "DELETE"]) {
      await send(
        method,
        `/f/${known}`,
        { method, headers: { "Content-Type": "application/json" }, body: "{}" },
        problems,
      );
    }
    expect(problems, problems.join("\n")).toEqual([]);
  });

  it("never answers random bytes under random content types with a 5xx", async () => {
    // A small deterministic fuzz (xorshift); the acceptance fuzz with fast-check runs thousands more.
    let seed = 0x2545f491;
    const next = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 0x100000000;
    };
    const types = [
      "application/json",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=b",
      "text/plain",
    ];
    const pieces = [
      '{"fields":{',
      '"email":',
      '"a@b.vn"',
      "}",
      "]",
      "[",
      "=",
      "&",
      "%",
      "\u0000",
      "é",
      "--b\r\n",
      "_sid=",
      "null",
      "1e999",
    ];
    const problems: string[] = [];
    for (let i = 0; i < 200; i++) {
      const length = Math.floor(next() * 12);
      const body = Array.from({ length }, () => pieces[Math.floor(next() * pieces.length)]).join("");
      const type = types[Math.floor(next() * types.length)] ?? "text/plain";
      const form = next() < 0.5 ? known : cold;
      await send(
        `fuzz ${i} ${type} ${body.slice(0, 40)}`,
        `/f/${form}`,
        { method: "POST", headers: { "Content-Type": type }, body },
        problems,
      );
    }
    expect(problems, problems.join("\n")).toEqual([]);
  });
});
