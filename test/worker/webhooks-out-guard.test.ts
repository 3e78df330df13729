// The outgoing-webhook building blocks other engines use too: the SSRF guard (private, loopback, link-local,
// metadata-like and local targets refused unless the local-development setting allows them; non-http(s)
// schemes always) and the Standard Webhooks signer, whose signatures the reference library verifies.
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import {
  generateSecret,
  SECRET_PREFIX,
  signatureHeader,
  standardWebhookHeaders,
} from "../../queues/webhooks-out/sign.ts";
import { checkTarget } from "../../queues/webhooks-out/target-guard.ts";

const REFUSED = [
  "http://127.0.0.1/hook",
  "http://127.1.2.3:8080/hook",
  "http://2130706433/", // 127.0.0.1 written as one number
  "http://0x7f.1/", // 127.0.0.1 in hex and short form
  "http://0177.0.0.1/", // octal
  "http://10.1.2.3/",
  "http://172.16.0.1/",
  "http://172.31.255.255/",
  "http://192.168.1.10/",
  "http://169.254.169.254/latest/meta-data/", // cloud metadata
  "http://100.100.100.200/", // Alibaba metadata, shared address space
  "http://0.0.0.0/",
  "http://255.255.255.255/",
  "http://224.0.0.1/",
  "http://[::1]/",
  "http://[::]/",
  "http://[fc00::1]/",
  "http://[fd12:3456::1]/",
  "http://[fd00:ec2::254]/", // AWS IPv6 metadata
  "http://[fe80::1]/",
  "http://[::ffff:127.0.0.1]/",
  "http://[::ffff:a9fe:a9fe]/", // 169.254.169.254, IPv4-mapped
  "http://[64:ff9b::a00:1]/", // NAT64 of 10.0.0.1
  "http://[2002:c0a8:101::1]/", // 6to4 of 192.168.1.1
  "http://localhost:3000/",
  "http://LOCALHOST./",
  "http://api.localhost/",
  "http://printer.local/",
  "http://metadata.google.internal/computeMetadata/v1/",
  "http://metadata/",
  "http://intranet/",
  "http://router.home.arpa/",
];

const ALLOWED = [
  "https://hooks.example.com/crm",
  "http://hooks.example.com:8080/crm?x=1",
  "https://203.0.113.7/hook",
  "https://8.8.8.8/",
  "https://172.32.0.1/", // just outside 172.16.0.0/12
  "https://[2606:4700:4700::1111]/",
  "https://user:pass@hooks.example.com/",
];

describe("checkTarget", () => {
  it.each(REFUSED)("refuses %s", (url) => {
    const check = checkTarget(url, false);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.reason).toMatch(/SSRF/);
  });

  it.each(ALLOWED)("allows %s", (url) => {
    expect(checkTarget(url, false)).toEqual({ ok: true });
  });

  it("lets private targets through only with the local-development setting", () => {
    expect(checkTarget("http://127.0.0.1:9999/hook", true)).toEqual({ ok: true });
    expect(checkTarget("http://localhost/hook", true)).toEqual({ ok: true });
  });

  it.each([
    "ftp://hooks.example.com/",
    "file:///etc/passwd",
    "gopher://127.0.0.1:25/",
    "javascript:alert(1)",
    "data:text/plain,hi",
    "not a url",
    `https://example.com/${"a".repeat(2100)}`,
  ])("refuses %s whatever the setting", (url) => {
    expect(checkTarget(url, true).ok).toBe(false);
    expect(checkTarget(url, false).ok).toBe(false);
  });
});

describe("signatures", () => {
  it("makes whsec_ secrets of 32 random bytes, different each time", () => {
    const a = generateSecret();
    const b = generateSecret();
    expect(a.startsWith(SECRET_PREFIX)).toBe(true);
    expect(atob(a.slice(SECRET_PREFIX.length))).toHaveLength(32);
    expect(a).not.toBe(b);
  });

  it("signs so that the standardwebhooks library verifies, and a tampered body does not", async () => {
    const secret = generateSecret();
    const body = JSON.stringify({ type: "contact.created", timestamp: "2026-11-20T08:00:00.000Z", data: {} });
    const headers = await standardWebhookHeaders({ id: "msg_1", at: new Date(), body, secrets: [secret] });
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow(/signature/i);
    expect(() => new Webhook(generateSecret()).verify(body, headers)).toThrow(/signature/i);
  });

  it("carries one signature per secret during a rotation: each secret verifies on its own", async () => {
    const [next, previous] = [generateSecret(), generateSecret()];
    const body = '{"type":"deal.won","timestamp":"2026-11-20T08:00:00.000Z","data":{"id":"d1"}}';
    const headers = await standardWebhookHeaders({
      id: "msg_2",
      at: Date.now(),
      body,
      secrets: [next, previous],
    });
    expect(headers["webhook-signature"]?.split(" ")).toHaveLength(2);
    for (const secret of [next, previous]) expect(new Webhook(secret).verify(body, headers)).toBeTruthy();
  });

  it("matches the library's own signature byte for byte", async () => {
    const secret = generateSecret();
    const at = new Date(Date.UTC(2026, 10, 20, 8, 0, 0));
    const expected = new Webhook(secret).sign("msg_3", at, "Xin chào, Nguyễn");
    expect(await signatureHeader([secret], "msg_3", at.getTime() / 1000, "Xin chào, Nguyễn")).toBe(expected);
  });
});
