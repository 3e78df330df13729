// Lead, customer and per-rep reports on a dataset built here, with every expected figure worked out by hand
// below: lead conversion by source, form and campaign, lead quality by grade, the lifecycle funnel, customer
// lifetime value and purchase frequency, revenue and return per campaign (with costs entered through the API),
// activity counts and speed to lead. Everything happens in May and is rolled up on 15 June.
import Papa from "papaparse";
import { beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../db/ids.ts";
import { forms } from "../../db/schema/index.ts";
import {
  at,
  changeLifecycle,
  DAY,
  get,
  HOUR,
  logActivity,
  makeClock,
  makeCompany,
  makeContact,
  makeDeal,
  rollup,
  STAGE,
  salesTeam,
  type Team,
} from "./reports-support.ts";
import { useTestDatabase } from "./support.ts";

const t = useTestDatabase();
let team: Team;
const F1 = newId();
const F2 = newId();

async function makeForm(id: string, name: string) {
  const now = Date.now();
  await t.db.insert(forms).values({ id, name, definition: "{}", createdAt: now, updatedAt: now });
}

beforeAll(async () => {
  team = await salesTeam(t);
  const a = { ownerId: team.repA.id, teamId: team.teamA };
  const b = { ownerId: team.repB.id, teamId: team.teamB };
  await makeForm(F1, "Demo request");
  await makeForm(F2, "Newsletter");

  // Contacts, all created as leads, then moved on:
  // C1 rep A, web / tet, grade A, form F1: lead (2 May) → mql (5 May) → customer (20 May).
  const c1 = await makeContact(t.db, {
    ...a,
    createdAt: at("2026-05-02"),
    source: "web",
    campaign: "tet",
    grade: "A",
  });
  await changeLifecycle(t.db, c1, "mql", at("2026-05-05"));
  await changeLifecycle(t.db, c1, "customer", at("2026-05-20"));
  // C2 rep A, web / tet, grade B, form F2: stays a lead.
  const c2 = await makeContact(t.db, {
    ...a,
    createdAt: at("2026-05-03"),
    source: "web",
    campaign: "tet",
    grade: "B",
  });
  // C3 rep B, ads / summer, grade A, form F1: lead (4 May) → sql (6 May) → customer (22 May).
  const c3 = await makeContact(t.db, {
    ...b,
    createdAt: at("2026-05-04"),
    source: "ads",
    campaign: "summer",
    grade: "A",
  });
  await changeLifecycle(t.db, c3, "sql", at("2026-05-06"));
  await changeLifecycle(t.db, c3, "customer", at("2026-05-22"));
  // C4 rep B, ads, no campaign, ungraded: lead (7 May) → mql (10 May) → sql (12 May).
  const c4 = await makeContact(t.db, { ...b, createdAt: at("2026-05-07"), source: "ads" });
  await changeLifecycle(t.db, c4, "mql", at("2026-05-10"));
  await changeLifecycle(t.db, c4, "sql", at("2026-05-12"));
  // C5 rep A, no source, grade B: lead (8 May) → customer (15 May) → churned (30 May).
  const c5 = await makeContact(t.db, { ...a, createdAt: at("2026-05-08"), grade: "B" });
  await changeLifecycle(t.db, c5, "customer", at("2026-05-15"));
  await changeLifecycle(t.db, c5, "churned", at("2026-05-30"));
  // C6 rep A, created in April: its move to mql on 1 May is in May's funnel; as a lead it is April's.
  const c6 = await makeContact(t.db, { ...a, createdAt: at("2026-04-20"), source: "web", campaign: "tet" });
  await changeLifecycle(t.db, c6, "mql", at("2026-05-01"));
  // The forms that brought them in: a contact's first form submission.
  await logActivity(t.db, {
    type: "form_submission",
    actorUserId: null,
    occurredAt: at("2026-05-02", 11),
    contactId: c1,
    metadata: { formId: F1 },
  });
  await logActivity(t.db, {
    type: "form_submission",
    actorUserId: null,
    occurredAt: at("2026-05-09"),
    contactId: c1,
    metadata: { formId: F2 },
  });
  await logActivity(t.db, {
    type: "form_submission",
    actorUserId: null,
    occurredAt: at("2026-05-03", 11),
    contactId: c2,
    metadata: { formId: F2 },
  });
  await logActivity(t.db, {
    type: "form_submission",
    actorUserId: null,
    occurredAt: at("2026-05-04", 11),
    contactId: c3,
    metadata: { formId: F1 },
  });

  // Customers and their won deals (VND unless said):
  // K1 (company, contact C1, rep A): won 10 May (1,000), 25 May (500) and 5 June (1,500).
  const k1 = await makeCompany(t.db, a, at("2026-04-01"));
  const won = (day: string, hour = 12): [string, number][] => [
    [STAGE.qualification, at(day, 9)],
    [STAGE.won, at(day, hour)],
  ];
  await makeDeal(t.db, {
    ...a,
    amount: 1000,
    companyId: k1,
    contactIds: [c1],
    createdAt: at("2026-05-10", 9),
    path: won("2026-05-10"),
  });
  await makeDeal(t.db, {
    ...a,
    amount: 500,
    companyId: k1,
    contactIds: [c1],
    createdAt: at("2026-05-25", 9),
    path: won("2026-05-25"),
  });
  await makeDeal(t.db, {
    ...a,
    amount: 1500,
    companyId: k1,
    contactIds: [c1],
    createdAt: at("2026-06-05", 9),
    path: won("2026-06-05"),
  });
  // P1 (no company: the customer is contact C2, rep B's deal): won 15 May (2,000).
  await makeDeal(t.db, {
    ...b,
    amount: 2000,
    contactIds: [c2],
    createdAt: at("2026-05-15", 9),
    path: won("2026-05-15"),
  });
  // K2 (company, contact C3, rep B): first won in April (700), again 18 May (300): April's customer.
  const k2 = await makeCompany(t.db, b, at("2026-04-01"));
  await makeDeal(t.db, {
    ...b,
    amount: 700,
    companyId: k2,
    contactIds: [c3],
    createdAt: at("2026-04-20", 9),
    path: won("2026-04-20"),
  });
  await makeDeal(t.db, {
    ...b,
    amount: 300,
    companyId: k2,
    contactIds: [c3],
    createdAt: at("2026-05-18", 9),
    path: won("2026-05-18"),
  });
  // A deal of neither company nor contact, 100 USD won 28 May: its own customer.
  await makeDeal(t.db, {
    ...a,
    amount: 100,
    currency: "USD",
    createdAt: at("2026-05-28", 9),
    path: won("2026-05-28"),
  });

  // Activities: rep A 2 calls, an email and a note in May (and a call in June, a stage change); rep B 2
  // meetings; one logged by no one.
  for (const [type, day] of [
    ["call", "2026-05-03"],
    ["call", "2026-05-04"],
    ["email", "2026-05-05"],
    ["note", "2026-05-06"],
    ["call", "2026-06-02"],
    ["stage_change", "2026-05-07"],
  ] as const) {
    await logActivity(t.db, { type, actorUserId: team.repA.id, occurredAt: at(day) });
  }
  await logActivity(t.db, { type: "meeting", actorUserId: team.repB.id, occurredAt: at("2026-05-11") });
  await logActivity(t.db, { type: "meeting", actorUserId: team.repB.id, occurredAt: at("2026-05-12") });
  await logActivity(t.db, { type: "call", actorUserId: null, occurredAt: at("2026-05-12") });

  // Speed to lead, each clock due an hour after it started: rep A answered one in 30 minutes, one in 2 hours
  // (breached on the way), and none for the third (breached); rep B answered in 15 minutes.
  const clock = (owner: string, day: string, answeredAfter: number | null, breached: boolean) =>
    makeClock(t.db, {
      contactId: c4,
      ownerId: owner,
      createdAt: at(day, 10),
      dueAt: at(day, 11),
      ...(answeredAfter === null ? {} : { respondedAt: at(day, 10) + answeredAfter }),
      ...(breached ? { breachedAt: at(day, 11, 1) } : {}),
    });
  await clock(team.repA.id, "2026-05-02", 30 * 60_000, false);
  await clock(team.repA.id, "2026-05-03", 2 * HOUR, true);
  await clock(team.repA.id, "2026-05-04", null, true);
  await clock(team.repB.id, "2026-05-05", 15 * 60_000, false);

  await rollup(t, at("2026-06-15", 8));
});

const MAY = "period=2026-05";

describe("lead conversion", () => {
  it("by source: leads created in the period, and how many of them became customers", async () => {
    const { body } = await get(t, `/api/v1/reports/leads?${MAY}&by=source`, team.as.admin);
    // May's leads C1..C5; customers now (or once): C1, C3 (customer), C5 (churned).
    // ads: C3, C4; web: C1, C2; none: C5. Most leads first, ties by value.
    expect(body.rows).toEqual([
      { value: "ads", label: null, leads: 2, customers: 1, conversionRate: 1 / 2, share: 2 / 5 },
      { value: "web", label: null, leads: 2, customers: 1, conversionRate: 1 / 2, share: 2 / 5 },
      { value: null, label: null, leads: 1, customers: 1, conversionRate: 1, share: 1 / 5 },
    ]);
    expect(body.totals).toEqual({ leads: 5, customers: 3, conversionRate: 3 / 5 });
  });

  it("by form (the contact's first form submission, named) and by campaign", async () => {
    const byForm = await get(t, `/api/v1/reports/leads?${MAY}&by=form`, team.as.admin);
    // F1: C1 and C3, both customers; F2: C2 (C1's later F2 submission does not count); none: C4, C5.
    // Most leads first, ties by value: no form ('') before F1.
    expect(
      byForm.body.rows.map((r: Record<string, unknown>) => [r.value, r.label, r.leads, r.customers]),
    ).toEqual([
      [null, null, 2, 1],
      [F1, "Demo request", 2, 2],
      [F2, "Newsletter", 1, 0],
    ]);
    const byCampaign = await get(t, `/api/v1/reports/leads?${MAY}&by=campaign`, team.as.admin);
    // tet: C1, C2 (1 customer); summer: C3 (1); none: C4, C5 (C5).
    expect(
      byCampaign.body.rows.map((r: Record<string, unknown>) => [
        r.value,
        r.leads,
        r.customers,
        r.conversionRate,
      ]),
    ).toEqual([
      [null, 2, 1, 1 / 2],
      ["tet", 2, 1, 1 / 2],
      ["summer", 1, 1, 1],
    ]);
  });

  it("shows a rep the leads they own only", async () => {
    const { body } = await get(t, `/api/v1/reports/leads?${MAY}`, team.as.repB);
    // Rep B owns C3 (customer) and C4.
    expect(body.totals).toEqual({ leads: 2, customers: 1, conversionRate: 1 / 2 });
  });
});

describe("lead quality", () => {
  it("gives the grade distribution of the period's leads and the conversion of each grade", async () => {
    const { body } = await get(t, `/api/v1/reports/lead-quality?${MAY}`, team.as.admin);
    // A: C1, C3 (both customers); B: C2, C5 (C5); ungraded: C4.
    expect(body.rows).toEqual([
      { value: "A", label: null, leads: 2, customers: 2, conversionRate: 1, share: 2 / 5 },
      { value: "B", label: null, leads: 2, customers: 1, conversionRate: 1 / 2, share: 2 / 5 },
      { value: null, label: null, leads: 1, customers: 0, conversionRate: 0, share: 1 / 5 },
    ]);
  });
});

describe("funnel", () => {
  it("counts contacts entering each lifecycle stage and the conversion to the next", async () => {
    const { body } = await get(t, `/api/v1/reports/funnel?${MAY}`, team.as.admin);
    const entered = Object.fromEntries(
      body.stages.map((s: { stage: string; entered: number }) => [s.stage, s.entered]),
    );
    // lead: C1..C5 created as leads (C6 was created in April); mql: C1, C4, C6; sql: C3, C4;
    // customer: C1, C3, C5; churned: C5.
    expect(entered).toEqual({
      subscriber: 0,
      lead: 5,
      mql: 3,
      sql: 2,
      opportunity: 0,
      customer: 3,
      evangelist: 0,
      disqualified: 0,
      churned: 1,
    });
    const next = Object.fromEntries(
      body.stages.map((s: { stage: string; conversionToNext: number | null }) => [
        s.stage,
        s.conversionToNext,
      ]),
    );
    expect(next).toMatchObject({
      subscriber: null,
      lead: 3 / 5,
      mql: 2 / 3,
      sql: 0 / 2,
      opportunity: null,
      customer: 0 / 3,
    });
    expect(body.transitions).toContainEqual({ from: null, to: "lead", count: 5 });
    expect(body.transitions).toContainEqual({ from: "lead", to: "mql", count: 3 });
  });
});

describe("customer lifetime value", () => {
  it("follows the customers first won in the period through all their won deals", async () => {
    const { body } = await get(t, `/api/v1/reports/customers?${MAY}`, team.as.admin);
    // May's VND customers: K1 (first won 10 May; 1,000 + 500 + 1,500, last on 5 June: 26 days) and C2's (2,000
    // on 15 May). K2 was first won in April. USD: the deal that is its own customer.
    const purchases = 3 + 1;
    const revenue = 1000 + 500 + 1500 + 2000;
    expect(body.currencies).toEqual([
      {
        currency: "USD",
        customers: 1,
        purchases: 1,
        revenue: 100,
        averagePurchaseValue: 100,
        purchaseFrequency: 1,
        customerLifetimeValue: 100,
        averageLifespanDays: 0,
      },
      {
        currency: "VND",
        customers: 2,
        purchases,
        revenue,
        averagePurchaseValue: revenue / purchases,
        purchaseFrequency: purchases / 2,
        customerLifetimeValue: (revenue / purchases) * (purchases / 2),
        averageLifespanDays: (26 + 0) / 2,
      },
    ]);
    const april = await get(t, "/api/v1/reports/customers?period=2026-04", team.as.admin);
    // K2: 700 in April and 300 on 18 May, 28 days apart.
    expect(april.body.currencies).toEqual([
      expect.objectContaining({
        currency: "VND",
        customers: 1,
        purchases: 2,
        revenue: 1000,
        averageLifespanDays: 28,
      }),
    ]);
  });
});

describe("campaigns", () => {
  it("sets revenue against the costs entered, prorating a month's cost to the days of the period", async () => {
    const put = await t.fetch("/api/v1/reports/costs", {
      method: "PUT",
      headers: { ...team.as.managerA, "Content-Type": "application/json" },
      body: JSON.stringify({
        dimension: "campaign",
        value: "tet",
        month: "2026-05",
        currency: "VND",
        amount: 3100,
      }),
    });
    expect(put.status).toBe(200);
    const { body } = await get(t, `/api/v1/reports/campaigns?${MAY}&by=campaign`, team.as.admin);
    // Won in May, by the first contact's campaign: tet 1,000 + 500 (C1) + 2,000 (C2); summer 300 (C3);
    // none 100 USD. Leads as in the leads report. tet cost 3,100.
    expect(body.rows).toEqual([
      {
        value: null,
        currency: "USD",
        leads: 2,
        customers: 1,
        wonDeals: 1,
        revenue: 100,
        cost: null,
        return: null,
        costPerLead: null,
        costPerCustomer: null,
      },
      {
        value: "summer",
        currency: "VND",
        leads: 1,
        customers: 1,
        wonDeals: 1,
        revenue: 300,
        cost: null,
        return: null,
        costPerLead: null,
        costPerCustomer: null,
      },
      {
        value: "tet",
        currency: "VND",
        leads: 2,
        customers: 1,
        wonDeals: 3,
        revenue: 3500,
        cost: 3100,
        return: (3500 - 3100) / 3100,
        costPerLead: 3100 / 2,
        costPerCustomer: 3100 / 1,
      },
    ]);
    // 1 to 15 May: 15 of May's 31 days of the cost; revenue 1,000 (10 May) + 2,000 (15 May).
    const half = await get(t, "/api/v1/reports/campaigns?from=2026-05-01&to=2026-05-15", team.as.admin);
    const tet = half.body.rows.find((r: { value: string }) => r.value === "tet");
    expect(tet).toMatchObject({ revenue: 3000, cost: (3100 * 15) / 31, return: (3000 - 1500) / 1500 });
    const bySource = await get(t, `/api/v1/reports/campaigns?${MAY}&by=source`, team.as.admin);
    // web: C1's deals (1,500) and C2's (2,000); ads: C3's (300).
    expect(
      bySource.body.rows.map((r: Record<string, unknown>) => [r.value, r.currency, r.revenue, r.leads]),
    ).toEqual([
      [null, "USD", 100, 1],
      ["ads", "VND", 300, 2],
      ["web", "VND", 3500, 2],
    ]);
  });
});

describe("activities", () => {
  it("counts each rep's calls, emails, meetings and notes in the period", async () => {
    const { body } = await get(t, `/api/v1/reports/activities?${MAY}`, team.as.admin);
    // June's call, the stage change and the activity no one logged are not counted.
    expect(body.reps).toEqual([
      { userId: team.repA.id, name: "Rep A", calls: 2, emails: 1, meetings: 0, notes: 1, total: 4 },
      { userId: team.repB.id, name: "Rep B", calls: 0, emails: 0, meetings: 2, notes: 0, total: 2 },
    ]);
  });

  it("shows a rep their own figures, a manager their team's members', never another team's", async () => {
    const repA = await get(t, `/api/v1/reports/activities?${MAY}`, team.as.repA);
    expect(repA.body.reps.map((r: { userId: string }) => r.userId)).toEqual([team.repA.id]);
    const manager = await get(t, `/api/v1/reports/activities?${MAY}`, team.as.managerA);
    expect(manager.body.reps.map((r: { userId: string }) => r.userId)).toEqual([team.repA.id]);
    const repB = await get(t, `/api/v1/reports/activities?${MAY}&teamId=${team.teamA}`, team.as.repB);
    expect(repB.body.reps).toEqual([]);
  });
});

describe("speed to lead", () => {
  it("gives each rep's clocks, answers within the SLA, breaches and mean response", async () => {
    const { body } = await get(t, `/api/v1/reports/sla?${MAY}`, team.as.admin);
    expect(body.reps).toEqual([
      {
        userId: team.repA.id,
        name: "Rep A",
        started: 3,
        responded: 2,
        withinSla: 1,
        breached: 2,
        shareWithinSla: 1 / 2,
        meanResponseMs: (30 * 60_000 + 2 * HOUR) / 2,
      },
      {
        userId: team.repB.id,
        name: "Rep B",
        started: 1,
        responded: 1,
        withinSla: 1,
        breached: 0,
        shareWithinSla: 1,
        meanResponseMs: 15 * 60_000,
      },
    ]);
  });
});

describe("CSV", () => {
  it("parses back to the JSON rows", async () => {
    for (const [path, key] of [
      [`leads?${MAY}&by=campaign`, "rows"],
      [`lead-quality?${MAY}`, "rows"],
      [`customers?${MAY}`, "currencies"],
      [`campaigns?${MAY}`, "rows"],
      [`activities?${MAY}`, "reps"],
      [`sla?${MAY}`, "reps"],
    ] as const) {
      const json = await get(t, `/api/v1/reports/${path}`, team.as.admin);
      const csv = await get(t, `/api/v1/reports/${path}&format=csv`, team.as.admin);
      const parsed = Papa.parse<Record<string, unknown>>(csv.text.trim(), {
        header: true,
        dynamicTyping: true,
      });
      expect(parsed.errors, path).toEqual([]);
      expect(parsed.data, path).toEqual(json.body[key]);
    }
    const funnel = await get(t, `/api/v1/reports/funnel?${MAY}&format=csv`, team.as.admin);
    expect(funnel.text.split("\r\n").slice(0, 3)).toEqual([
      "stage,entered,conversionToNext",
      "subscriber,0,",
      "lead,5,0.6",
    ]);
  });
});

it("keeps DAY at a day (the helpers' unit)", () => {
  expect(DAY).toBe(24 * HOUR);
});
