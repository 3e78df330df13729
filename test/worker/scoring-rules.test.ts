// Scoring rules: every fit rule type, group caps, the overall cap, negative points and grade bands, each seen
// through the dry run's explanation; the rules API (versions with If-Match, 422 on inconsistent rules) and who
// may change the rules.
import { beforeAll, describe, expect, it } from "vitest";
import type { RuleSet } from "../../queues/scoring/rules.ts";
import { createUser, sessionFor } from "./factories.ts";
import { emptyRules, type Headers, scoringTest } from "./scoring-support.ts";

const { t, call, insertContact } = scoringTest();

let asAdmin: Headers;
let asRep: Headers;
let asReadOnly: Headers;
let lead: string;

beforeAll(async () => {
  asAdmin = (await sessionFor(t.db, await createUser(t.db, { role: "admin" }))).headers;
  asRep = (await sessionFor(t.db, await createUser(t.db, { role: "rep" }))).headers;
  asReadOnly = (await sessionFor(t.db, await createUser(t.db, { role: "read_only" }))).headers;
  lead = await insertContact({
    name: "Nguyễn Văn A",
    email: "a@acme.vn",
    jobTitle: "Vice President, Sales",
    lifecycleStage: "mql",
    leadStatus: "connected",
    source: "Form: Pricing page",
    custom: JSON.stringify({ budget: 25_000, plan: ["pro", "team"], region: "South" }),
    company: { industry: "Software", size: "51-200", country: "VN", domain: "acme.vn" },
  });
});

async function dryRun(rules: RuleSet, contact = lead) {
  const response = await call("POST", `/api/v1/scoring/contacts/${contact}/dry-run`, asAdmin, { rules });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  expect(response.trips).toBe(1);
  return response.body;
}

const fitRules = (rules: RuleSet["fit"]["rules"], extra: Partial<RuleSet["fit"]> = {}) =>
  emptyRules({ fit: { groups: [], rules, ...extra } });

describe("fit rules, one type at a time", () => {
  const cases: [string, RuleSet["fit"]["rules"][number]["when"], boolean][] = [
    ["industry", { field: "industry", in: ["software", "Fintech"] }, true],
    ["industry (miss)", { field: "industry", in: ["Retail"] }, false],
    ["company size", { field: "companySize", in: ["51-200", "201-500"] }, true],
    ["country", { field: "country", in: ["vn"] }, true],
    ["job title keyword", { field: "jobTitle", contains: ["vice president", "director"] }, true],
    ["job title keyword (whole words only)", { field: "jobTitle", contains: ["presid"] }, false],
    ["business email domain", { field: "emailDomain", is: "business" }, true],
    ["free email domain", { field: "emailDomain", is: "free" }, false],
    ["lifecycle stage", { field: "lifecycleStage", in: ["mql", "sql"] }, true],
    ["lead status", { field: "leadStatus", in: ["new"] }, false],
    ["source", { field: "source", contains: ["pricing"] }, true],
    ["custom number range", { field: "custom", key: "budget", min: 10_000, max: 50_000 }, true],
    ["custom number below", { field: "custom", key: "budget", min: 30_000 }, false],
    ["custom multi-select value", { field: "custom", key: "plan", in: ["TEAM"] }, true],
    ["custom present", { field: "custom", key: "region", present: true }, true],
    ["custom absent", { field: "custom", key: "nothing", present: true }, false],
  ];
  it.each(cases)("%s", async (_, when, hits) => {
    const body = await dryRun(fitRules([{ id: "r", label: "The rule", points: 7, when }]));
    expect(body.result.fit).toBe(hits ? 7 : 0);
    expect(body.result.explanation.fit.rules).toEqual(
      hits ? [{ id: "r", label: "The rule", group: null, points: 7 }] : [],
    );
  });

  it("tells free-mail addresses from business ones", async () => {
    const gmail = await insertContact({ email: "someone@gmail.com" });
    const rules = fitRules([
      { id: "free", label: "Free mail", points: -10, when: { field: "emailDomain", is: "free" } },
      { id: "biz", label: "Business mail", points: 10, when: { field: "emailDomain", is: "business" } },
    ]);
    expect((await dryRun(rules, gmail)).result.explanation.fit.raw).toBe(-10);
    expect((await dryRun(rules, lead)).result.explanation.fit.raw).toBe(10);
  });
});

describe("points, caps and grades", () => {
  const title = (id: string, points: number, word: string, group?: string) => ({
    id,
    label: `Title has ${word}`,
    points,
    ...(group ? { group } : {}),
    when: { field: "jobTitle" as const, contains: [word] },
  });

  it("adds negative points", async () => {
    const body = await dryRun(fitRules([title("vp", 30, "vice"), title("not-sales", -12, "sales")]));
    expect(body.result.fit).toBe(18);
  });

  it("caps a group's total, and shows the raw and counted totals", async () => {
    const body = await dryRun(
      fitRules(
        [
          title("vp", 30, "vice", "seniority"),
          title("pres", 25, "president", "seniority"),
          title("sales", 5, "sales"),
        ],
        { groups: [{ id: "seniority", max: 40 }] },
      ),
    );
    expect(body.result.fit).toBe(45);
    expect(body.result.explanation.fit.groups).toEqual([{ id: "seniority", raw: 55, counted: 40 }]);
  });

  it("keeps a group above its floor", async () => {
    const body = await dryRun(
      fitRules([title("a", -30, "vice", "penalties"), title("b", -30, "sales", "penalties")], {
        groups: [{ id: "penalties", min: -20 }],
      }),
    );
    expect(body.result.explanation.fit.groups).toEqual([{ id: "penalties", raw: -60, counted: -20 }]);
    expect(body.result.fit).toBe(-20);
  });

  it("caps the whole score, and floors it", async () => {
    const capped = await dryRun(fitRules([title("a", 80, "vice"), title("b", 80, "sales")], { max: 100 }));
    expect(capped.result.fit).toBe(100);
    expect(capped.result.explanation.fit.raw).toBe(160);
    const floored = await dryRun(fitRules([title("a", -80, "vice")], { min: 0 }));
    expect(floored.result.fit).toBe(0);
  });

  it("grades from bands over fit, or over a weighted sum of fit and engagement", async () => {
    const bands = [
      { grade: "A", min: 60 },
      { grade: "B", min: 30 },
    ];
    const rules = (points: number, engagementWeight = 0): RuleSet => ({
      ...fitRules([title("vp", points, "vice")]),
      grading: { fitWeight: 1, engagementWeight, bands, otherwise: "C" },
    });
    expect((await dryRun(rules(60))).result.grade).toBe("A");
    expect((await dryRun(rules(59))).result.grade).toBe("B");
    expect((await dryRun(rules(30))).result.grade).toBe("B");
    expect((await dryRun(rules(29))).result.grade).toBe("C");
    expect((await dryRun(rules(29))).result.explanation.grade).toEqual({ value: 29, grade: "C" });
  });

  it("explains with the top rules, largest first", async () => {
    const body = await dryRun(
      fitRules([title("small", 2, "sales"), title("big", -40, "vice"), title("mid", 9, "president")]),
    );
    expect(body.top.map((r: { id: string }) => r.id)).toEqual(["big", "mid", "small"]);
    expect(body.rulesVersion).toBeNull();
  });
});

describe("the rules API", () => {
  it("starts from the built-in rules at version 0", async () => {
    const response = await call("GET", "/api/v1/scoring/rules", asRep);
    expect(response.status).toBe(200);
    expect(response.trips).toBe(1);
    expect(response.body.version).toBe(0);
    expect(response.headers.get("ETag")).toBe('W/"0"');
  });

  it("saves a new version with If-Match, refuses a stale one, and starts a recompute job", async () => {
    const rules = fitRules([
      { id: "vp", label: "VP", points: 10, when: { field: "jobTitle", contains: ["vice"] } },
    ]);
    const first = await call("PUT", "/api/v1/scoring/rules", { ...asAdmin, "If-Match": 'W/"0"' }, rules);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.trips).toBe(1);
    expect(first.body.version).toBe(1);
    expect(first.body.job).toMatchObject({ status: "planning", kind: "rules" });
    const job = await call("GET", `/api/v1/scoring/jobs/${first.body.job.id}`, asReadOnly);
    expect(job.status).toBe(200);
    expect(job.body.rulesVersion).toBe(1);

    const stale = await call("PUT", "/api/v1/scoring/rules", { ...asAdmin, "If-Match": 'W/"0"' }, rules);
    expect(stale.status).toBe(412);
    const read = await call("GET", "/api/v1/scoring/rules", asAdmin);
    expect(read.body.version).toBe(1);
    expect(read.body.rules.fit.rules[0].id).toBe("vp");

    const dry = await call("POST", `/api/v1/scoring/contacts/${lead}/dry-run`, asAdmin, {});
    expect(dry.body.rulesVersion).toBe(1);
    expect(dry.body.result.fit).toBe(10);
  });

  it("answers 422 for inconsistent rules", async () => {
    const bad: unknown[] = [
      fitRules([
        { id: "x", label: "A", points: 1, when: { field: "industry", in: ["a"] } },
        { id: "x", label: "B", points: 1, when: { field: "industry", in: ["b"] } },
      ]),
      fitRules([
        { id: "x", label: "A", points: 1, group: "nowhere", when: { field: "industry", in: ["a"] } },
      ]),
      {
        ...emptyRules(),
        grading: {
          fitWeight: 1,
          engagementWeight: 0,
          bands: [
            { grade: "B", min: 10 },
            { grade: "A", min: 50 },
          ],
          otherwise: "C",
        },
      },
      fitRules([{ id: "x", label: "A", points: 5000, when: { field: "industry", in: ["a"] } }]),
      fitRules([{ id: "x", label: "A", points: 1, when: { field: "shoeSize", in: ["a"] } }] as never),
    ];
    for (const rules of bad) {
      const response = await call("PUT", "/api/v1/scoring/rules", asAdmin, rules);
      expect(response.status, JSON.stringify(rules)).toBe(422);
      expect(response.headers.get("Content-Type")).toContain("application/problem+json");
    }
  });

  it("lets only admins change the rules", async () => {
    expect((await call("PUT", "/api/v1/scoring/rules", asRep, emptyRules())).status).toBe(403);
    expect((await call("PUT", "/api/v1/scoring/rules", asReadOnly, emptyRules())).status).toBe(403);
    expect((await call("GET", "/api/v1/scoring/rules", asReadOnly)).status).toBe(200);
  });

  it("hides the dry run of a contact the caller may not see", async () => {
    expect((await call("POST", `/api/v1/scoring/contacts/${lead}/dry-run`, asRep, {})).status).toBe(404);
  });
});
