// Random requests for POST /f/{formId} (fast-check arbitraries): JSON the embed might send and JSON no embed
// would, plain form posts (urlencoded and multipart, well formed and broken), garbage bytes, empty and oversized
// bodies, odd charsets, NUL bytes, huge numbers, deep nesting and wrong types, with random headers around them.
import fc from "fast-check";

/** Which form the request names, resolved to an id by the test (the ids are only known at run time). */
export type FormTarget = "live" | "redirecting" | "archived" | "ghost" | "unseen" | "garbage";

/** What the body is, as the sender meant it; the content type may say otherwise. */
export type BodyShape = "json" | "urlencoded" | "multipart" | "garbage" | "empty";

/** An address the fake rate limiter refuses, so the 429 path is taken too. */
export const BLOCKED_IP = "203.0.113.66";

export const FIELD_KEYS = [
  "email",
  "first_name",
  "phone",
  "interests",
  "employees",
  "agree",
  "start",
  "site",
];
const CONTROL_KEYS = [
  "_sid",
  "_vid",
  "_rendered",
  "_lang",
  "_page",
  "_ref",
  "consent",
  "cf-turnstile-response",
];
const HONEYPOT = "website_url";
const MAX_BODY = 16 * 1024;

const utf8 = new TextEncoder();

// ---- text ----

const oddText = fc.constantFrom(
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "\udfff\ud800",
  "\uffff\ufffe",
  "\u202e\u0645\u0631\u062d\u0628\u0627",
  "Nguyễn Văn Ánh",
  "Ñoño O'Brien",
  "😀".repeat(60),
  "<script>alert(1)</script>",
  "' or 1=1; drop table contacts; --",
  "%00%ff%",
  "\r\n\r\n--x--",
  "x".repeat(250),
  "x".repeat(5001),
  "NaN",
  "Infinity",
  "-0",
  "1e400",
  "0x1f",
  "true",
  "on",
  "null",
  "__proto__",
  "constructor",
);

export const text = fc.oneof(
  { arbitrary: fc.string({ maxLength: 30 }), weight: 3 },
  { arbitrary: fc.string({ unit: "grapheme", maxLength: 30 }), weight: 2 },
  { arbitrary: fc.string({ unit: "binary", maxLength: 30 }), weight: 2 },
  { arbitrary: oddText, weight: 3 },
);

/** Text that can travel in a header value (printable ASCII: anything else is not a valid header byte). */
const headerText = fc
  .string({ unit: "grapheme-ascii", maxLength: 40 })
  .map((s) => s.replace(/[^\x20-\x7e]/g, "").trim());

/** Percent-encodes any text, lone surrogates included (as U+FFFD, which is what a browser would send). */
export function encodeAny(value: string): string {
  return encodeURIComponent(
    value.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd"),
  );
}

// ---- field values and JSON submissions ----

const hugeNumber = fc.constantFrom(
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.MIN_VALUE,
  Number.MAX_SAFE_INTEGER + 2,
  -0,
  1e21,
  123456789012345680000,
);

const scalar = fc.oneof(
  { arbitrary: text, weight: 4 },
  { arbitrary: fc.integer(), weight: 1 },
  { arbitrary: fc.double(), weight: 1 },
  { arbitrary: hugeNumber, weight: 1 },
  { arbitrary: fc.boolean(), weight: 1 },
  { arbitrary: fc.constant(null), weight: 1 },
);

const wrongType = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.array(fc.array(scalar, { maxLength: 3 }), { maxLength: 3 }),
  fc.array(scalar, { minLength: 195, maxLength: 210 }),
);

const fieldValue = fc.oneof(
  { arbitrary: scalar, weight: 5 },
  { arbitrary: fc.array(scalar, { maxLength: 6 }), weight: 2 },
  { arbitrary: wrongType, weight: 1 },
);

/** Values the live form takes: most requests should get through to the queue, to fuzz what lies behind. */
const validFields = fc.record(
  {
    email: fc.emailAddress(),
    first_name: fc.constantFrom("An", "Bình", "Chloé", "Đức", "Nguyễn Thị Minh Khai"),
    phone: fc.constantFrom("+84 90 123 4567", "0901234567", "(028) 3822 1234"),
    interests: fc.subarray(["crm", "ads", "seo"]),
    employees: fc.integer({ min: 1, max: 100_000 }),
    agree: fc.boolean(),
    start: fc.constantFrom("2026-02-28", "2024-02-29"),
    site: fc.webUrl(),
  },
  { requiredKeys: ["email"] },
);

const fuzzyFields = fc.record(
  {
    email: fc.oneof({ arbitrary: fc.emailAddress(), weight: 2 }, { arbitrary: text, weight: 1 }),
    first_name: text,
    phone: text,
    interests: fc.oneof(fc.array(text, { maxLength: 3 }), text),
    employees: fc.oneof(fc.integer({ min: -10, max: 200_000 }), hugeNumber, text),
    agree: fc.oneof(fc.constantFrom("on", "yes", "off"), text),
    start: fc.oneof(fc.constantFrom("2026-02-30", "2026-13-01"), text),
    site: fc.oneof(fc.constantFrom("javascript:alert(1)", "http://"), text),
  },
  { requiredKeys: [] },
);

const fields = fc.oneof(
  { arbitrary: validFields, weight: 6 },
  { arbitrary: fuzzyFields, weight: 3 },
  {
    arbitrary: fc
      .tuple(validFields, fc.dictionary(text, fieldValue, { maxKeys: 8 }))
      .map(([a, b]) => ({ ...b, ...a })),
    weight: 2,
  },
  { arbitrary: fc.dictionary(text, fieldValue, { maxKeys: 120 }), weight: 1 },
  { arbitrary: wrongType, weight: 1 },
);

const renderedAt = fc.oneof(
  // A visitor who took a minute (minFillMs passes), one who took no time, one whose clock runs ahead.
  fc.constant("minute-ago"),
  fc.constant("now"),
  fc.constant("future"),
  fc.integer({ min: 0, max: 2_000_000_000_000 }),
  hugeNumber,
  text,
  fc.constant(null),
);

const wellFormedSubmission = fc.record(
  {
    submissionId: fc.uuid(),
    visitorId: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 64 }),
    fields,
    consent: fc.constantFrom(true, "on"),
    renderedAt: fc.constantFrom("minute-ago", "minute-ago", "now", "future"),
    page: fc.record({
      url: fc
        .webUrl({ withQueryParameters: true })
        .map((u) => `${u}${u.includes("?") ? "&" : "?"}utm_source=fuzz`),
      referrer: fc.webUrl(),
    }),
    honeypot: fc.constantFrom("", "", "", "I am a bot"),
    lang: fc.constantFrom("en", "vi"),
  },
  { requiredKeys: ["fields"] },
);

const wildSubmission = fc.record(
  {
    submissionId: fc.oneof(
      { arbitrary: fc.uuid(), weight: 5 },
      { arbitrary: fc.constant(null), weight: 1 },
      text,
      scalar,
    ),
    visitorId: fc.oneof(fc.string({ unit: "grapheme-ascii", maxLength: 70 }), text, scalar),
    fields,
    consent: fc.oneof(fc.constant(true), fc.constantFrom("on", "yes", false), scalar),
    renderedAt,
    page: fc.oneof(
      fc.record(
        {
          url: fc.oneof(
            fc.constant("https://site.example/pricing?utm_source=ads&utm_campaign=spring"),
            fc.webUrl({ withQueryParameters: true, withFragments: true }),
            text,
          ),
          referrer: fc.oneof(fc.webUrl(), text, fc.constant(null)),
        },
        { requiredKeys: [] },
      ),
      wrongType,
    ),
    honeypot: fc.oneof({ arbitrary: fc.constant(""), weight: 4 }, text, scalar),
    turnstileToken: fc.oneof(fc.constant("XXXX.DUMMY.TOKEN.XXXX"), text, scalar),
    lang: fc.oneof(fc.constantFrom("en", "vi", "vi-VN", "EN", "fr"), text, scalar),
  },
  { requiredKeys: [] },
);

const submission = fc.oneof(
  { arbitrary: wellFormedSubmission, weight: 5 },
  { arbitrary: wildSubmission, weight: 2 },
);

export type Submission = typeof submission extends fc.Arbitrary<infer T> ? T : never;

/** Render times are relative to the moment of sending, so a kept seed replays the same way on another day. */
export function resolveRenderedAt(value: unknown, now: number): unknown {
  if (value === "minute-ago") return now - 60_000;
  if (value === "now") return now;
  if (value === "future") return now + 3_600_000;
  return value;
}

const deepJson = fc
  .tuple(fc.integer({ min: 100, max: 7000 }), fc.constantFrom("[", '{"a":'))
  .map(([depth, open]) => {
    const close = open === "[" ? "]" : "}";
    return `{"fields":{"email":${open.repeat(depth)}1${close.repeat(depth)}}}`;
  });

const rawJson = fc.oneof(
  deepJson,
  fc.constantFrom(
    "",
    "{",
    "{not json",
    "null",
    "[]",
    '"a string"',
    "12345678901234567890123456789",
    `{"renderedAt":1${"0".repeat(400)}}`,
    '{"renderedAt":1e999}',
    '{"fields":{"email":"a@b.vn"},"fields":[]}',
    '{"fields":{"__proto__":{"polluted":true},"email":"proto@example.com"}}',
    '{"__proto__":{"fields":{"email":"x@example.com"}},"constructor":{"prototype":{"a":1}}}',
    '{"fields":{"email":"raw\u0000nul@example.com"}}',
    '{"fields":{"email":"escaped\\u0000nul@example.com"}}',
    '{"fields":{"email":"\\ud800@example.com"}}',
    '\ufeff{"fields":{"email":"bom@example.com"}}',
    '{"fields":{"email":"trailing@example.com"}} garbage',
  ),
  fc.jsonValue({ maxDepth: 6 }).map((value) => JSON.stringify(value) ?? ""),
);

// ---- bodies ----

type Encoding = "utf-8" | "utf-16le" | "latin1" | "truncated";

function encode(value: string, encoding: Encoding): Uint8Array {
  if (encoding === "utf-16le") {
    const bytes = new Uint8Array(value.length * 2);
    for (let i = 0; i < value.length; i++) {
      bytes[i * 2] = value.charCodeAt(i) & 0xff;
      bytes[i * 2 + 1] = value.charCodeAt(i) >> 8;
    }
    return bytes;
  }
  if (encoding === "latin1") return Uint8Array.from(value, (c) => c.charCodeAt(0) & 0xff);
  const bytes = utf8.encode(value);
  // Cut inside a multi-byte character when there is one: invalid UTF-8 at the end.
  return encoding === "truncated" ? bytes.subarray(0, Math.max(0, bytes.length - 1)) : bytes;
}

const encoding = fc.oneof(
  { arbitrary: fc.constant<Encoding>("utf-8"), weight: 8 },
  { arbitrary: fc.constantFrom<Encoding>("utf-16le", "latin1", "truncated"), weight: 2 },
);

/** Padding that pushes a body past the 16 KB cap (or just under it). */
const padding = fc.oneof(
  { arbitrary: fc.constant(0), weight: 12 },
  { arbitrary: fc.constantFrom(MAX_BODY - 600, MAX_BODY + 1, MAX_BODY * 3, 200_000), weight: 1 },
);

const jsonBody = fc
  .tuple(
    fc.oneof(
      { arbitrary: submission.map((s) => ({ kind: "object" as const, s })), weight: 5 },
      {
        arbitrary: rawJson.map((raw) => ({ kind: "raw" as const, raw })),
        weight: 2,
      },
    ),
    encoding,
    padding,
  )
  .map(([content, enc, pad]) => ({ content, enc, pad }));

const formEntry = fc.tuple(
  fc.oneof(
    { arbitrary: fc.constantFrom(...FIELD_KEYS), weight: 6 },
    { arbitrary: fc.constantFrom(...CONTROL_KEYS, HONEYPOT), weight: 3 },
    { arbitrary: fc.constantFrom("constructor", "__proto__", "toString", "hasOwnProperty"), weight: 1 },
    { arbitrary: text, weight: 1 },
  ),
  fc.oneof(
    {
      arbitrary: fc.constantFrom("an@example.com", "on", "crm", "42", "2026-01-31", "https://a.example"),
      weight: 3,
    },
    { arbitrary: text, weight: 3 },
    { arbitrary: fc.uuid(), weight: 1 },
  ),
);

const formEntries = fc.array(formEntry, { maxLength: 14 });

const urlencodedBody = fc.oneof(
  { arbitrary: formEntries.map((entries) => new URLSearchParams(entries).toString()), weight: 6 },
  {
    arbitrary: fc.constantFrom("%", "a=%E0%A4%A", "&&&==&=", "email=%00", "a=b&a=c&a=d", "=x", "%ZZ=%ZZ"),
    weight: 1,
  },
  { arbitrary: fc.string({ unit: "binary", maxLength: 200 }), weight: 1 },
);

const boundary = fc.oneof(
  fc.constantFrom("----fuzzboundary", "x", "a'b", "very-long-".repeat(8)),
  fc
    .string({ unit: "grapheme-ascii", minLength: 1, maxLength: 20 })
    .filter((b) => /^[A-Za-z0-9'()+_,./:=?-]+$/.test(b)),
);

const multipartBody = fc
  .tuple(
    boundary,
    formEntries,
    fc.boolean(),
    fc.constantFrom("ok", "ok", "ok", "no-end", "wrong-boundary", "no-boundary"),
  )
  .map(([b, entries, withFile, variant]) => {
    const parts = entries.map(
      ([name, value]) =>
        `--${b}\r\nContent-Disposition: form-data; name="${name.replace(/["\r\n]/g, "_")}"\r\n\r\n${value}\r\n`,
    );
    if (withFile) {
      parts.push(
        `--${b}\r\nContent-Disposition: form-data; name="email"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nfile@example.com\r\n`,
      );
    }
    const body = parts.join("") + (variant === "no-end" ? "" : `--${b}--\r\n`);
    const header =
      variant === "no-boundary"
        ? "multipart/form-data"
        : `multipart/form-data; boundary=${variant === "wrong-boundary" ? `${b}zz` : b}`;
    return { body, header };
  });

const garbageBody = fc.oneof(
  { arbitrary: fc.uint8Array({ maxLength: 2000 }), weight: 4 },
  { arbitrary: fc.constantFrom(MAX_BODY + 1, 60_000).map((n) => new Uint8Array(n).fill(0x41)), weight: 1 },
);

// ---- content types and headers ----

const otherContentType = fc.oneof(
  fc.constantFrom(
    "text/plain",
    "text/html; charset=utf-8",
    "application/xml",
    "application/octet-stream",
    "application/json-seq",
    "application/jsonx",
    "",
    ";",
    "application/",
    "*/*",
  ),
  headerText,
);

function jsonContentType(enc: Encoding) {
  return fc.constantFrom(
    "application/json",
    "application/json; charset=utf-8",
    `application/json; charset=${enc === "utf-16le" ? "utf-16" : enc === "latin1" ? "iso-8859-1" : "utf-8"}`,
    "APPLICATION/JSON",
    "application/vnd.embed+json",
    "application/json; charset=shift_jis",
  );
}

const urlencodedType = fc.constantFrom(
  "application/x-www-form-urlencoded",
  "application/x-www-form-urlencoded; charset=UTF-8",
  "application/x-www-form-urlencoded; charset=windows-1258",
  "Application/X-WWW-Form-Urlencoded",
);

const origin = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 6 },
  {
    arbitrary: fc.constantFrom("http://crm.test", "https://site.example", "https://www.partner.example"),
    weight: 4,
  },
  {
    arbitrary: fc.constantFrom(
      "https://evil.example",
      "null",
      "https://site.example.evil.example",
      "https://partner.example",
    ),
    weight: 1,
  },
  { arbitrary: headerText, weight: 1 },
);

const ip = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 2 },
  { arbitrary: fc.ipV4(), weight: 8 },
  { arbitrary: fc.ipV6(), weight: 1 },
  { arbitrary: fc.constant(BLOCKED_IP), weight: 1 },
  { arbitrary: headerText, weight: 1 },
);

const optionalHeader = (values: fc.Arbitrary<string>) =>
  fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: values, weight: 1 });

const headers = fc
  .record({
    Origin: origin,
    "CF-Connecting-IP": ip,
    Referer: optionalHeader(fc.oneof(fc.webUrl({ withQueryParameters: true }), headerText)),
    "User-Agent": optionalHeader(fc.oneof(headerText, fc.constant("Mozilla/5.0 ".repeat(300)))),
    "Accept-Language": optionalHeader(
      fc.oneof(fc.constantFrom("vi-VN,vi;q=0.9,en;q=0.8", "*", ";;;"), headerText),
    ),
    "Idempotency-Key": optionalHeader(headerText),
    Authorization: optionalHeader(
      fc.oneof(fc.constantFrom("Bearer crm_nope", "Bearer a.b.c", "Basic Og=="), headerText),
    ),
    Cookie: optionalHeader(fc.oneof(fc.constantFrom("crm_access=a.b.c", "crm_access="), headerText)),
    "Content-Encoding": optionalHeader(fc.constantFrom("gzip", "br", "identity", "x-nonsense")),
    "X-Forwarded-For": optionalHeader(headerText),
  })
  .map((record) =>
    Object.fromEntries(
      Object.entries(record).filter((entry): entry is [string, string] => entry[1] !== undefined),
    ),
  );

const query = fc.oneof(
  { arbitrary: fc.constant(""), weight: 6 },
  {
    arbitrary: fc.constantFrom("?lang=vi", "?lang=en", "?lang=xx", "?lang=%00", "?lang=%E0%A4%A", "?a=1&a=2"),
    weight: 2,
  },
  { arbitrary: text.map((t) => `?lang=${encodeAny(t)}`), weight: 1 },
);

const target = fc.oneof(
  { arbitrary: fc.constant<FormTarget>("live"), weight: 8 },
  { arbitrary: fc.constant<FormTarget>("redirecting"), weight: 3 },
  { arbitrary: fc.constantFrom<FormTarget>("archived", "ghost", "unseen", "garbage"), weight: 2 },
);

const garbageId = fc.oneof(
  fc.constantFrom(
    "",
    "0",
    "00000000-0000-0000-0000-00000000000g",
    "..",
    "%2e%2e",
    "a".repeat(3000),
    "%00",
    "\u0000",
  ),
  text,
  fc.uuid().map((u) => `${u}x`),
);

// ---- the request ----

type Body = { shape: BodyShape; contentType: string | undefined; body: Uint8Array | undefined };

/**
 * A JSON body is finished at send time (its render time is relative to then), so the arbitrary hands back a
 * builder; the rest are bytes already.
 */
export type BodyPlan =
  | { shape: "json"; contentType: string | undefined; build(now: number): Uint8Array }
  | Body;

function jsonPlan(
  content: { kind: "object"; s: Submission } | { kind: "raw"; raw: string },
  enc: Encoding,
  pad: number,
  contentType: string | undefined,
): BodyPlan {
  return {
    shape: "json",
    contentType,
    build(now) {
      let textBody: string;
      if (content.kind === "raw") textBody = content.raw;
      else {
        const value: Record<string, unknown> = { ...content.s };
        if ("renderedAt" in value) value.renderedAt = resolveRenderedAt(value.renderedAt, now);
        if (pad > 0) value.padding = "p".repeat(pad);
        textBody = JSON.stringify(value);
      }
      return encode(textBody, enc);
    },
  };
}

const mismatchedType = fc.oneof(
  { arbitrary: fc.constant<"keep">("keep"), weight: 9 },
  { arbitrary: fc.constant<"other">("other"), weight: 1 },
  { arbitrary: fc.constant<"none">("none"), weight: 1 },
);

function finalType(kept: string, mismatch: "keep" | "other" | "none", other: string): string | undefined {
  return mismatch === "keep" ? kept : mismatch === "other" ? other : undefined;
}

const bodyPlan: fc.Arbitrary<BodyPlan> = fc.oneof(
  {
    weight: 10,
    arbitrary: jsonBody.chain(({ content, enc, pad }) =>
      fc
        .tuple(jsonContentType(enc), mismatchedType, otherContentType)
        .map(([type, mismatch, other]) => jsonPlan(content, enc, pad, finalType(type, mismatch, other))),
    ),
  },
  {
    weight: 4,
    arbitrary: fc
      .tuple(urlencodedBody, encoding, urlencodedType, mismatchedType, otherContentType)
      .map(([body, enc, type, mismatch, other]) => ({
        shape: "urlencoded" as const,
        contentType: finalType(type, mismatch, other),
        body: encode(body, enc),
      })),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(multipartBody, mismatchedType, otherContentType)
      .map(([{ body, header }, mismatch, other]) => ({
        shape: "multipart" as const,
        contentType: finalType(header, mismatch, other),
        body: utf8.encode(body),
      })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        garbageBody,
        fc.oneof(otherContentType, fc.constantFrom("application/json", "multipart/form-data; boundary=x")),
      )
      .map(([body, contentType]) => ({ shape: "garbage" as const, contentType, body })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        undefined,
        "application/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
      )
      .map((contentType) => ({ shape: "empty" as const, contentType, body: undefined })),
  },
);

export const fuzzRequest = fc.record({
  target,
  garbageId,
  raw: fc.boolean(),
  plan: bodyPlan,
  headers,
  query,
});

export type FuzzCase = typeof fuzzRequest extends fc.Arbitrary<infer T> ? T : never;
