import { beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../../db/ids.ts";
import { companies, contacts } from "../../../db/schema/index.ts";
import { useTestDatabase } from "../support.ts";
import { caller, type Json, type People, people, SALES, STAGE } from "./deals-helpers.ts";

const t = useTestDatabase();
const call = caller(t);
let p: People;
let companyId: string;
let contactId: string;
const mine: string[] = [];
let theirs: string;

beforeAll(async () => {
  p = await people(t);
  const now = Date.now();
  companyId = newId();
  contactId = newId();
  await t.db.insert(companies).values({
    id: companyId,
    name: "ACME",
    ownerId: p.repA.id,
    teamId: p.teamA,
    createdAt: now,
    updatedAt: now,
  });
  await t.db.insert(contacts).values({
    id: contactId,
    name: "Nguyễn Văn A",
    ownerId: p.repA.id,
    teamId: p.teamA,
    createdAt: now,
    updatedAt: now,
  });
  const dates = ["2026-01-15", null, "2026-02-01", "2026-03-01", null, "2026-01-15", "2026-04-30"];
  for (const [i, date] of dates.entries()) {
    const { body } = await call("POST", "/api/v1/deals", p.as.repA, {
      name: `Deal ${i}`,
      amount: 100 * (i + 1),
      currency: "USD",
      expectedCloseDate: date,
      stageId: i % 2 === 0 ? STAGE.meeting : STAGE.proposal,
      ...(i === 3 ? { companyId, contactIds: [contactId] } : {}),
    });
    mine.push(body.id);
  }
  theirs = (await call("POST", "/api/v1/deals", p.as.repB, { name: "B's", amount: 1, currency: "USD" })).body
    .id;
});

async function all(query: string, headers = p.as.repA, limit = 2): Promise<Json[]> {
  const items: Json[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 20; page++) {
    const sep = query ? "&" : "";
    const path: string = `/api/v1/deals?${query}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const response = await call("GET", path, headers);
    expect(response.status, path).toBe(200);
    expect(response.trips).toBe(1);
    items.push(...response.body.items);
    cursor = response.body.nextCursor;
    if (!cursor) return items;
  }
  throw new Error("too many pages");
}

describe("listing deals", () => {
  it("pages every visible deal exactly once, newest first by default; another team's deal is absent", async () => {
    const ids = (await all("")).map((d) => d.id);
    expect(ids).toEqual([...mine].reverse());
    expect(ids).not.toContain(theirs);
    const admin = (await all("", p.as.admin, 3)).map((d) => d.id);
    expect(admin).toContain(theirs);
  });

  it("sorts by expected close date both ways, nulls included, across pages", async () => {
    const asc = await all("sort=expectedClose");
    expect(asc.map((d) => d.expectedCloseDate)).toEqual([
      null,
      null,
      "2026-01-15",
      "2026-01-15",
      "2026-02-01",
      "2026-03-01",
      "2026-04-30",
    ]);
    const desc = await all("sort=-expectedClose");
    expect(desc.map((d) => d.id)).toEqual(asc.map((d) => d.id).reverse());
    const updated = await all("sort=updated", p.as.repA, 3);
    expect(updated).toHaveLength(7);
  });

  it("filters by stage, pipeline, status, owner, company, contact and close date range", async () => {
    expect((await all(`stageId=${STAGE.meeting}`)).map((d) => d.name)).toEqual([
      "Deal 6",
      "Deal 4",
      "Deal 2",
      "Deal 0",
    ]);
    expect(await all(`pipelineId=${SALES}&status=open`)).toHaveLength(7);
    expect(await all("status=won")).toHaveLength(0);
    expect(await all(`ownerId=${p.repB.id}`)).toHaveLength(0);
    expect((await all(`companyId=${companyId}`)).map((d) => d.name)).toEqual(["Deal 3"]);
    const withContact = await all(`contactId=${contactId}`);
    expect(withContact.map((d) => d.contactIds)).toEqual([[contactId]]);
    const range = await all("expectedCloseFrom=2026-01-16&expectedCloseTo=2026-03-31");
    expect(range.map((d) => d.expectedCloseDate).sort()).toEqual(["2026-02-01", "2026-03-01"]);
  });

  it("refuses a cursor it did not give out and unknown filters' bad values", async () => {
    expect((await call("GET", "/api/v1/deals?cursor=garbage", p.as.repA)).status).toBe(400);
    expect((await call("GET", "/api/v1/deals?status=maybe", p.as.repA)).status).toBe(422);
    expect((await call("GET", "/api/v1/deals?sort=amount", p.as.repA)).status).toBe(422);
  });
});
