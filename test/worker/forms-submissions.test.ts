// The submission log: listed per form with filters, search and keyset pages; read one by one; spam and failed
// submissions replayed (through the queue, or on the spot when it is down); and the sweep that takes up what
// the edge wrote straight to the database while the queue was down.
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../db/ids.ts";
import { auditLog, contacts, formSubmissions, jobRuns } from "../../db/schema/index.ts";
import type { CaptureData } from "../../queues/capture/message.ts";
import { createUser, sessionFor } from "./factories.ts";
import { formBody, formsTest, type Headers, type Json, submission } from "./forms-support.ts";

const { t, call, capture, deliver } = formsTest();

let asAdmin: Headers;
let asManager: Headers;
let asRep: Headers;

beforeAll(async () => {
  asAdmin = (await sessionFor(t.db, await createUser(t.db, { role: "admin" }))).headers;
  asManager = (await sessionFor(t.db, await createUser(t.db, { role: "manager" }))).headers;
  asRep = (await sessionFor(t.db, await createUser(t.db, { role: "rep" }))).headers;
});

async function newForm(extra: Json = {}): Promise<string> {
  const created = await call("POST", "/api/v1/forms", asAdmin, formBody(extra));
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  await call("GET", `/f/${id}/definition`);
  return id;
}

async function submitAndProcess(formId: string, body: Json) {
  const response = await call("POST", `/f/${formId}`, {}, body);
  expect(response.status).toBe(202);
  await deliver();
  return body.submissionId as string;
}

async function row(id: string) {
  const [found] = await t.db.select().from(formSubmissions).where(eq(formSubmissions.id, id));
  return found;
}

describe("the submission log", () => {
  let formId: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    formId = await newForm({ spam: { minFillMs: 0, perIpLimit: null } });
    ids.lan = await submitAndProcess(formId, submission({ email: "lan@example.vn", first_name: "Lan" }));
    ids.spam = await submitAndProcess(formId, submission({ email: "bot@example.vn" }, { honeypot: "x" }));
    ids.minh = await submitAndProcess(
      formId,
      submission({ email: "minh@example.vn", first_name: "Minh", message: "Báo giá" }),
    );
  });

  it("lists a form's submissions newest first, in keyset pages, in one round trip", async () => {
    const first = await call("GET", `/api/v1/forms/${formId}/submissions?limit=2`, asManager);
    expect(first.status).toBe(200);
    expect(first.trips).toBe(1);
    const items = first.body.items as Json[];
    expect(items.map((s) => s.id)).toEqual([ids.minh, ids.spam]);
    expect(items[0]).toMatchObject({
      formId,
      status: "processed",
      email: "minh@example.vn",
      name: "Minh",
      fields: { email: "minh@example.vn", first_name: "Minh", message: "Báo giá" },
      utm: { source: "google", medium: "cpc", campaign: "spring" },
      spamReasons: [],
      contactId: expect.any(String),
    });
    const second = await call(
      "GET",
      `/api/v1/forms/${formId}/submissions?limit=2&cursor=${first.body.nextCursor}`,
      asManager,
    );
    expect((second.body.items as Json[]).map((s) => s.id)).toEqual([ids.lan]);
    expect(second.body.nextCursor).toBeNull();
  });

  it("filters by status and time, and searches email, name and values", async () => {
    const listed = async (query: string) =>
      ((await call("GET", `/api/v1/forms/${formId}/submissions?${query}`, asAdmin)).body.items as Json[]).map(
        (s) => s.id,
      );
    expect(await listed("status=spam")).toEqual([ids.spam]);
    expect(
      (
        (
          (await call("GET", `/api/v1/forms/${formId}/submissions?status=spam`, asAdmin)).body.items as Json[]
        )[0] as Json
      ).spamReasons,
    ).toEqual(["honeypot"]);
    expect(await listed("status=processed")).toEqual([ids.minh, ids.lan]);
    expect(await listed("status=failed")).toEqual([]);
    expect(await listed("q=LAN@")).toEqual([ids.lan]);
    expect(await listed("q=minh")).toEqual([ids.minh]);
    expect(await listed("q=báo")).toEqual([ids.minh]);
    expect(await listed(`from=${Date.now() + 60_000}`)).toEqual([]);
    expect(await listed(`to=${new Date(Date.now() + 60_000).toISOString()}`)).toHaveLength(3);
    expect((await call("GET", `/api/v1/forms/${formId}/submissions?status=nope`, asAdmin)).status).toBe(422);
    expect((await call("GET", `/api/v1/forms/${formId}/submissions?cursor=zzz`, asAdmin)).status).toBe(422);
    expect((await call("GET", `/api/v1/forms/${newId()}/submissions`, asAdmin)).status).toBe(404);
  });

  it("reads one submission, and keeps the log from reps", async () => {
    const one = await call("GET", `/api/v1/form-submissions/${ids.lan}`, asAdmin);
    expect(one.status).toBe(200);
    expect(one.trips).toBe(1);
    expect(one.body).toMatchObject({ id: ids.lan, status: "processed", email: "lan@example.vn" });
    expect((await call("GET", `/api/v1/form-submissions/${newId()}`, asAdmin)).status).toBe(404);
    expect((await call("GET", `/api/v1/form-submissions/${ids.lan}`, asRep)).status).toBe(403);
    expect((await call("GET", `/api/v1/forms/${formId}/submissions`, asRep)).status).toBe(403);
  });
});

describe("replay", () => {
  it("puts a spam submission back on the queue with its spam checks skipped, and it becomes a lead", async () => {
    const formId = await newForm();
    const id = await submitAndProcess(
      formId,
      submission({ email: "false.positive@example.vn" }, { honeypot: "autofill" }),
    );
    expect((await row(id))?.status).toBe("spam");
    const replayed = await call("POST", `/api/v1/form-submissions/${id}/replay`, asManager);
    expect(replayed.status).toBe(202);
    expect(replayed.trips).toBe(1);
    expect(replayed.body).toEqual({ submissionId: id, status: "queued" });
    expect((await row(id))?.status).toBe("received");
    expect((capture.sent.at(-1)?.data as CaptureData | undefined)?.replay).toBe(true);
    await deliver();
    expect(await row(id)).toMatchObject({ status: "processed", attempts: 2, spamReasons: "[]" });
    expect(
      await t.db.select().from(contacts).where(eq(contacts.email, "false.positive@example.vn")),
    ).toHaveLength(1);
    const audit = await t.db.select().from(auditLog).where(eq(auditLog.targetId, id));
    expect(audit.map((a) => a.action)).toEqual(["form_submission.replayed"]);
    // Processed now: a second replay is refused.
    expect((await call("POST", `/api/v1/form-submissions/${id}/replay`, asManager)).status).toBe(409);
  });

  it("processes a failed submission on the spot when the queue is down, once the form lets it through", async () => {
    const fields = formBody().fields as Json[];
    const formId = await newForm({
      fields: [...fields, { key: "size", type: "number", label: { en: "Size" }, required: true }],
    });
    const id = newId();
    // Sent before the form was known here: the edge let it through, the consumer found it lacking.
    await t.db.insert(formSubmissions).values({
      id,
      formId,
      status: "failed",
      payload: JSON.stringify({
        v: 1,
        formId,
        submissionId: id,
        receivedAt: Date.now(),
        format: "json",
        lang: null,
        fields: { email: "replayed@example.vn" },
        visitorId: null,
        renderedAt: null,
        honeypot: null,
        page: { url: null, referrer: null },
        utm: {},
        userAgent: null,
        ip: null,
        origin: null,
        selfOrigin: "http://crm.test",
        turnstile: { token: null, verdict: null, codes: [] },
        replay: false,
      } satisfies CaptureData),
      error: '[{"field":"size","code":"required","message":"This field is required."}]',
      attempts: 1,
      receivedAt: Date.now(),
      updatedAt: Date.now(),
    });
    const replace = await call("PUT", `/api/v1/forms/${formId}`, asAdmin, formBody({ fields }));
    expect(replace.status).toBe(200);
    capture.failing = true;
    try {
      const replayed = await call("POST", `/api/v1/form-submissions/${id}/replay`, asAdmin);
      expect(replayed.status).toBe(202);
      expect(replayed.body).toEqual({ submissionId: id, status: "processed" });
    } finally {
      capture.failing = false;
    }
    expect(await row(id)).toMatchObject({ status: "processed", error: null });
  });

  it("refuses what is not spam or failed (409) and what does not exist (404), and reps altogether", async () => {
    const formId = await newForm();
    const id = await submitAndProcess(formId, submission({ email: "fine@example.vn" }));
    const refused = await call("POST", `/api/v1/form-submissions/${id}/replay`, asAdmin);
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toContain("processed");
    expect((await call("POST", `/api/v1/form-submissions/${newId()}/replay`, asAdmin)).status).toBe(404);
    expect((await call("POST", `/api/v1/form-submissions/${id}/replay`, asRep)).status).toBe(403);
  });
});

describe("the sweep", () => {
  it("puts submissions written straight to the database back on the queue, then they become leads", async () => {
    const formId = await newForm();
    const body = submission({ email: "swept@example.vn" });
    capture.failing = true;
    try {
      expect((await call("POST", `/f/${formId}`, {}, body)).status).toBe(202);
    } finally {
      capture.failing = false;
    }
    const id = body.submissionId as string;
    expect((await row(id))?.status).toBe("received");
    // Fresh rows are left alone for a minute (a message may be on its way); this one is older.
    await t.db
      .update(formSubmissions)
      .set({ updatedAt: Date.now() - 120_000 })
      .where(eq(formSubmissions.id, id));
    capture.sent.length = 0;
    await t.scheduled("* * * * *", Date.now());
    expect(capture.sent.map((m) => m.id)).toEqual([id]);
    const [run] = await t.db.select().from(jobRuns).where(eq(jobRuns.job, "sweep"));
    expect(run?.detail).toBe("capture: 1 pending submission(s) queued");
    await deliver();
    expect((await row(id))?.status).toBe("processed");
    expect(await t.db.select().from(contacts).where(eq(contacts.email, "swept@example.vn"))).toHaveLength(1);
  });

  it("processes them on the spot when the queue is still down", async () => {
    const formId = await newForm();
    const body = submission({ email: "swept.direct@example.vn" });
    capture.failing = true;
    try {
      expect((await call("POST", `/f/${formId}`, {}, body)).status).toBe(202);
      const id = body.submissionId as string;
      await t.db
        .update(formSubmissions)
        .set({ updatedAt: Date.now() - 120_000 })
        .where(eq(formSubmissions.id, id));
      await t.scheduled("* * * * *", Date.now() + 60_000);
      expect((await row(id))?.status).toBe("processed");
    } finally {
      capture.failing = false;
    }
  });
});
