// The workflows API: create (disabled by default, a signing secret shown once), read with its ETag, list,
// update as a new version (If-Match, 412 when stale), validate without saving (422 naming each problem's
// path), enable, disable, delete, and the dry run against a record. Errors are problem+json and write
// nothing; every request is one round trip.
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../db/ids.ts";
import { auditLog, workflows, workflowVersions } from "../../db/schema/index.ts";
import { createUser } from "./factories.ts";
import { type Api, createContact, createDeal, people, STAGES, workflowsTest } from "./workflows-support.ts";

const w = workflowsTest();
let admin: Api;
let rep: Api;
let manager: Api;

beforeAll(async () => {
  const p = await people(w);
  admin = p.adminApi;
  rep = p.repApi;
  manager = await w.as(await createUser(w.t.db, { role: "manager" }));
});

const negotiation = {
  trigger: { type: "deal.stage_changed", toStageIds: [STAGES.negotiation] },
  conditions: {
    all: [
      { field: "amount", op: "gte", value: 1_000_000 },
      {
        any: [
          { field: "currency", op: "equals", value: "vnd" },
          { field: "custom.region", op: "is_set" },
        ],
      },
    ],
  },
  actions: [
    { type: "create_task", title: "Send the proposal for {{record.name}}", dueInDays: 2 },
    { type: "wait", days: 1 },
    { type: "notify", title: "{{record.name}} is in negotiation" },
  ],
};

async function countRows() {
  const [w1] = await w.t.db.$count(workflows).then((n) => [n]);
  const v = await w.t.db.$count(workflowVersions);
  return { workflows: w1, versions: v };
}

describe("create, read, list", () => {
  it("creates a disabled workflow at version 1 with its secret, in one round trip, and reads it back", async () => {
    const created = await admin("POST", "/api/v1/workflows", {
      name: "Negotiation follow-up",
      ...negotiation,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.trips).toBe(1);
    expect(created.body).toMatchObject({
      name: "Negotiation follow-up",
      enabled: false,
      version: 1,
      trigger: negotiation.trigger,
      conditions: negotiation.conditions,
    });
    // Defaults are filled in and stored: the priority and assignee of the task.
    expect(created.body.actions[0]).toMatchObject({
      type: "create_task",
      priority: "normal",
      assignTo: "owner",
    });
    expect(created.body.signingSecret).toMatch(/^whsec_/);
    expect(created.headers.get("ETag")).toBe('W/"1"');

    const read = await manager("GET", `/api/v1/workflows/${created.body.id}`);
    expect(read.status).toBe(200);
    expect(read.trips).toBe(1);
    expect(read.body.signingSecret).toBeUndefined();
    expect(read.body.actions).toEqual(created.body.actions);

    const list = await admin("GET", "/api/v1/workflows?limit=50&enabled=false");
    expect(list.status).toBe(200);
    expect(list.body.items.map((x: { id: string }) => x.id)).toContain(created.body.id);
  });

  it("is for admins and managers: a rep is refused, and nothing is written", async () => {
    const before = await countRows();
    const refused = await rep("POST", "/api/v1/workflows", { name: "Mine", ...negotiation });
    expect(refused.status).toBe(403);
    expect(refused.headers.get("Content-Type")).toContain("application/problem+json");
    expect((await rep("GET", "/api/v1/workflows")).status).toBe(403);
    expect(await countRows()).toEqual(before);
  });

  it("answers 404 for a workflow that does not exist", async () => {
    const missing = await admin("GET", `/api/v1/workflows/${newId()}`);
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe("not_found");
  });
});

describe("validate", () => {
  it("accepts a valid definition without saving it, and says what starts it", async () => {
    const before = await countRows();
    const ok = await manager("POST", "/api/v1/workflows/validate", negotiation);
    expect(ok.status).toBe(200);
    expect(ok.trips).toBe(1);
    expect(ok.body).toEqual({ valid: true, triggerEventType: "deal.stage_changed", recordType: "deal" });
    expect(await countRows()).toEqual(before);
  });

  it("answers 422 with the path of each problem, and saves nothing", async () => {
    const before = await countRows();
    const bad = await admin("POST", "/api/v1/workflows/validate", {
      trigger: { type: "record.created", recordType: "company" },
      conditions: {
        all: [
          { field: "name", op: "changed" },
          { field: "industry", op: "in", value: "x" },
        ],
      },
      actions: [
        { type: "send_email", templateId: "t1" },
        { type: "set_field", field: "lifecycleStage", value: "lead" },
        { type: "set_field", field: "industry", value: 12 },
        { type: "wait" },
        { type: "call_webhook", url: "ftp://example.com/hook" },
      ],
    });
    expect(bad.status).toBe(422);
    expect(bad.headers.get("Content-Type")).toContain("application/problem+json");
    const paths = (bad.body.errors as { path: string }[]).map((e) => e.path).sort();
    expect(paths).toEqual(
      expect.arrayContaining([
        "actions.0.type",
        "actions.1.field",
        "actions.2.value",
        "actions.3",
        "actions.4.url",
        "conditions.all.0.op",
        "conditions.all.1.value",
      ]),
    );
    const created = await admin("POST", "/api/v1/workflows", {
      name: "Bad",
      trigger: { type: "nope" },
      actions: [],
    });
    expect(created.status).toBe(422);
    expect(await countRows()).toEqual(before);
  });

  it("checks date triggers and change operators against the trigger", async () => {
    const bad = await admin("POST", "/api/v1/workflows/validate", {
      trigger: { type: "date", recordType: "deal", field: "dueAt", offsetDays: -3 },
      conditions: { any: [{ field: "stageId", op: "changed_to", value: STAGES.proposal }] },
      actions: [{ type: "change_owner", via: "assignment_rules" }],
    });
    expect(bad.status).toBe(422);
    const paths = (bad.body.errors as { path: string }[]).map((e) => e.path).sort();
    expect(paths).toEqual(["actions.0.via", "conditions.any.0.op", "trigger.field"]);
  });
});

describe("update, enable, disable, delete", () => {
  it("makes a new version on update, keeps the old one, and refuses a stale If-Match with 412", async () => {
    const id = (await admin("POST", "/api/v1/workflows", { name: "v1", ...negotiation })).body.id as string;
    const updated = await admin(
      "PUT",
      `/api/v1/workflows/${id}`,
      { name: "v2", ...negotiation, actions: [{ type: "add_tag", tag: "negotiating" }] },
      { "If-Match": 'W/"1"' },
    );
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    expect(updated.trips).toBe(1);
    expect(updated.body).toMatchObject({
      name: "v2",
      version: 2,
      actions: [{ type: "add_tag", tag: "negotiating" }],
    });
    expect(updated.headers.get("ETag")).toBe('W/"2"');
    const versions = await w.t.db.select().from(workflowVersions).where(eq(workflowVersions.workflowId, id));
    expect(versions.map((v) => v.version).sort()).toEqual([1, 2]);
    expect(JSON.parse(versions.find((v) => v.version === 1)?.definition ?? "{}").actions).toHaveLength(3);

    const stale = await admin(
      "PUT",
      `/api/v1/workflows/${id}`,
      { name: "v3", ...negotiation },
      { "If-Match": 'W/"1"' },
    );
    expect(stale.status).toBe(412);
    expect(
      (await w.t.db.select().from(workflowVersions).where(eq(workflowVersions.workflowId, id))).length,
    ).toBe(2);
    const invalid = await admin("PUT", `/api/v1/workflows/${id}`, {
      name: "v3",
      ...negotiation,
      actions: [],
    });
    expect(invalid.status).toBe(422);
    expect((await admin("PUT", `/api/v1/workflows/${newId()}`, { name: "x", ...negotiation })).status).toBe(
      404,
    );
  });

  it("enables and disables, deletes (then 404), and replaces the signing secret", async () => {
    const id = (await admin("POST", "/api/v1/workflows", { name: "toggle", ...negotiation })).body
      .id as string;
    const enabled = await manager("POST", `/api/v1/workflows/${id}/enable`);
    expect(enabled.status).toBe(200);
    expect(enabled.body.enabled).toBe(true);
    expect((await manager("POST", `/api/v1/workflows/${id}/disable`)).body.enabled).toBe(false);
    const secret = await admin("POST", `/api/v1/workflows/${id}/signing-secret`);
    expect(secret.status).toBe(200);
    expect(secret.body.signingSecret).toMatch(/^whsec_/);
    const [row] = await w.t.db.select().from(workflows).where(eq(workflows.id, id));
    expect(row?.signingSecret).toBe(secret.body.signingSecret);

    const deleted = await admin("DELETE", `/api/v1/workflows/${id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.trips).toBe(1);
    // Each change is in the audit log, in the same batch as the change.
    const log = await w.t.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.targetId, id))
      .orderBy(auditLog.at, auditLog.id);
    expect(log.map((entry) => entry.action)).toEqual([
      "workflow.created",
      "workflow.enabled",
      "workflow.disabled",
      "workflow.secret_rotated",
      "workflow.deleted",
    ]);
    expect((await admin("GET", `/api/v1/workflows/${id}`)).status).toBe(404);
    expect((await admin("POST", `/api/v1/workflows/${id}/enable`)).status).toBe(404);
    expect((await admin("DELETE", `/api/v1/workflows/${id}`)).status).toBe(404);
  });
});

describe("dry run", () => {
  it("shows which conditions matched and what each action would do, without doing it", async () => {
    const id = (await admin("POST", "/api/v1/workflows", { name: "Dry", ...negotiation })).body.id as string;
    const contact = await createContact(admin);
    const deal = await createDeal(admin, {
      name: "Bún bò deal",
      stageId: STAGES.negotiation,
      contactIds: [contact.id],
    });
    const before = await w.t.db.$count(workflowVersions);

    const result = await admin("POST", `/api/v1/workflows/${id}/test`, {
      recordId: deal.id,
      before: { stageId: STAGES.proposal },
    });
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(result.trips).toBe(1);
    expect(result.body).toMatchObject({
      workflowId: id,
      version: 1,
      record: { type: "deal", id: deal.id, label: "Bún bò deal" },
      trigger: { type: "deal.stage_changed", matched: true, detail: null },
      wouldStart: true,
    });
    expect(result.body.conditions).toMatchObject({
      mode: "all",
      matched: true,
      members: [
        { field: "amount", op: "gte", actual: 5_000_000, matched: true },
        {
          mode: "any",
          matched: true,
          members: [
            { field: "currency", matched: true },
            { field: "custom.region", matched: false },
          ],
        },
      ],
    });
    expect(result.body.actions.map((a: { wouldDo: string }) => a.wouldDo)).toEqual([
      expect.stringMatching(/^Create the task “Send the proposal for Bún bò deal” for Admin, due /),
      "Wait 1 day",
      "Notify Admin: “Bún bò deal is in negotiation”",
    ]);
    // Nothing was done: no run, no task.
    expect(await w.runsOf(id)).toEqual([]);
    expect(await w.t.db.$count(workflowVersions)).toBe(before);
    expect(w.events.sent.filter((m) => m.body.type === "workflow.step")).toEqual([]);
  });

  it("says why a record would not start it: the wrong stage, a condition that fails", async () => {
    const id = (await admin("POST", "/api/v1/workflows", { name: "Dry 2", ...negotiation })).body
      .id as string;
    const deal = await createDeal(admin, { amount: 10, stageId: STAGES.meeting });
    const result = await admin("POST", `/api/v1/workflows/${id}/test`, { recordId: deal.id });
    expect(result.status).toBe(200);
    expect(result.body.wouldStart).toBe(false);
    expect(result.body.trigger.matched).toBe(false);
    expect(result.body.trigger.detail).toContain("the new stage");
    expect(result.body.conditions.members[0]).toMatchObject({ field: "amount", actual: 10, matched: false });
  });

  it("answers 404 for a record the caller may not see or that does not exist", async () => {
    const id = (await admin("POST", "/api/v1/workflows", { name: "Dry 3", ...negotiation })).body
      .id as string;
    const other = await w.as(await createUser(w.t.db, { role: "rep" }));
    const hidden = await createDeal(other);
    const outsider = await w.as(await createUser(w.t.db, { role: "manager" }));
    expect((await outsider("POST", `/api/v1/workflows/${id}/test`, { recordId: hidden.id })).status).toBe(
      404,
    );
    expect((await admin("POST", `/api/v1/workflows/${id}/test`, { recordId: newId() })).status).toBe(404);
    expect((await admin("POST", `/api/v1/workflows/${newId()}/test`, { recordId: hidden.id })).status).toBe(
      404,
    );
  });
});
