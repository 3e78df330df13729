// GET /api/v1/search: contacts, companies and deals matched at once for the quick-search box, accent- and
// case-insensitive, best first, only what the caller may see (and what an API key's scopes cover), in one trip.
import { beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../../db/ids.ts";
import { companies, contacts, deals } from "../../../db/schema/index.ts";
import { searchRoutes } from "../../../functions/api/search/routes.ts";
import { createApp } from "../../../functions/app.ts";
import { apiKeyFor } from "../factories.ts";
import { useTestDatabase } from "../support.ts";
import { type Json, type People, people, SALES, STAGE } from "./deals-helpers.ts";

const t = useTestDatabase();
const app = createApp().route("/", searchRoutes);
let p: People;
const ids: Record<string, string> = {};
let clock = Date.now() - 60_000;

type Owner = { ownerId: string; teamId: string };

async function contact(
  key: string,
  owner: Owner,
  fields: { name: string; email?: string; jobTitle?: string },
) {
  const id = newId();
  const at = clock++;
  const emails = JSON.stringify(fields.email ? [fields.email] : []);
  await t.db.insert(contacts).values({ id, ...fields, emails, ...owner, createdAt: at, updatedAt: at });
  ids[key] = id;
}

async function company(key: string, owner: Owner, fields: { name: string; domain?: string }) {
  const id = newId();
  const at = clock++;
  await t.db.insert(companies).values({ id, ...fields, ...owner, createdAt: at, updatedAt: at });
  ids[key] = id;
}

async function deal(key: string, owner: Owner, name: string, amount: number, currency: string) {
  const id = newId();
  const at = clock++;
  await t.db.insert(deals).values({
    id,
    name,
    amount,
    currency,
    pipelineId: SALES,
    stageId: STAGE.proposal,
    stageEnteredAt: at,
    ...owner,
    createdAt: at,
    updatedAt: at,
  });
  ids[key] = id;
}

beforeAll(async () => {
  p = await people(t);
  const a = { ownerId: p.repA.id, teamId: p.teamA };
  const b = { ownerId: p.repB.id, teamId: p.teamB };
  await contact("nguyen", a, { name: "Nguyễn Văn An", email: "an@dong-a.vn" });
  await contact("tran", a, { name: "Trần Thị Bình", jobTitle: "Giám đốc" });
  await company("dongA", a, { name: "Công ty Đông Á", domain: "dong-a.vn" });
  await deal("contract", a, "Hợp đồng Đông Á 2026", 150_000_000, "VND");
  await deal("licences", a, "Licences for ACME", 123_450, "USD");
  await contact("theirs", b, { name: "Nguyễn Văn Bảo", email: "bao@example.com" });
  await deal("theirDeal", b, "Hợp đồng Đông Á của B", 1, "VND");
});

async function search(query: string, headers: Record<string, string>) {
  let response: Response | undefined;
  const trips = await t.roundTrips(async () => {
    response = await app.request(`/api/v1/search${query}`, { headers }, t.env);
  });
  if (!response) throw new Error("no response");
  const body = (await response.json()) as Json;
  return { status: response.status, trips, body, items: (body.items ?? []) as Json[] };
}

const idsOf = (items: Json[]) => items.map((item) => item.id as string);

describe("global search", () => {
  it("finds contacts, companies and deals at once, accent-insensitive, in one round trip", async () => {
    const { status, trips, body, items } = await search("?q=dong%20a", p.as.repA);
    expect(status).toBe(200);
    expect(trips).toBe(1);
    expect(body.nextCursor).toBeNull();
    expect(idsOf(items).sort()).toEqual([ids.nguyen, ids.dongA, ids.contract].sort());
    expect(items).toContainEqual({
      type: "contact",
      id: ids.nguyen,
      name: "Nguyễn Văn An",
      detail: "an@dong-a.vn",
    });
    expect(items).toContainEqual({
      type: "company",
      id: ids.dongA,
      name: "Công ty Đông Á",
      detail: "dong-a.vn",
    });
    expect(items).toContainEqual({
      type: "deal",
      id: ids.contract,
      name: "Hợp đồng Đông Á 2026",
      detail: "Proposal · 150,000,000 VND",
    });
  });

  it("matches the last word as a prefix and shows a short detail for each kind", async () => {
    expect(idsOf((await search("?q=nguyen%20va", p.as.repA)).items)).toEqual([ids.nguyen]);
    const [licences] = (await search("?q=LIC", p.as.repA)).items;
    expect(licences).toEqual({
      type: "deal",
      id: ids.licences,
      name: "Licences for ACME",
      detail: "Proposal · 1,234.50 USD",
    });
    const [tran] = (await search("?q=tran%20thi%20binh", p.as.repA)).items;
    expect(tran).toMatchObject({ type: "contact", id: ids.tran, detail: "Giám đốc" });
  });

  it("never shows another team's records", async () => {
    const repA = idsOf((await search("?q=nguyen", p.as.repA)).items);
    expect(repA).toEqual([ids.nguyen]);
    expect(idsOf((await search("?q=hop%20dong", p.as.repA)).items)).toEqual([ids.contract]);
    expect(idsOf((await search("?q=hop%20dong", p.as.repB)).items)).toEqual([ids.theirDeal]);
    expect(idsOf((await search("?q=nguyen", p.as.admin)).items).sort()).toEqual(
      [ids.nguyen, ids.theirs].sort(),
    );
  });

  it("keeps the best `limit` across the kinds", async () => {
    const { items } = await search("?q=dong&limit=2", p.as.admin);
    expect(items).toHaveLength(2);
    const all = idsOf((await search("?q=dong&limit=50", p.as.admin)).items);
    expect(all).toHaveLength(4);
    expect(idsOf(items)).toEqual(all.slice(0, 2));
  });

  it("without words lists the most recently changed records the caller may see", async () => {
    const { status, trips, items } = await search("", p.as.repA);
    expect(status).toBe(200);
    expect(trips).toBe(1);
    expect(idsOf(items)).toEqual([ids.licences, ids.contract, ids.dongA, ids.tran, ids.nguyen]);
    expect(idsOf((await search("?q=%20%22*%20&limit=2", p.as.repA)).items)).toEqual([
      ids.licences,
      ids.contract,
    ]);
  });

  it("leaves out the kinds an API key may not read", async () => {
    const contactsOnly = (await apiKeyFor(t.db, p.admin, ["contacts:read"])).headers;
    const { status, items } = await search("?q=dong%20a", contactsOnly);
    expect(status).toBe(200);
    expect(items.map((item) => item.type)).toEqual(["contact"]);
    const everything = (await apiKeyFor(t.db, p.admin, ["contacts:read", "companies:read", "deals:read"]))
      .headers;
    expect((await search("?q=dong%20a", everything)).items).toHaveLength(4);
    expect((await search("?q=dong", (await apiKeyFor(t.db, p.admin, ["deals:read"])).headers)).status).toBe(
      403,
    );
  });

  it("refuses a bad limit or a query longer than 200 characters, and anonymous callers", async () => {
    expect((await search("?q=a&limit=0", p.as.repA)).status).toBe(422);
    expect((await search("?q=a&limit=51", p.as.repA)).status).toBe(422);
    expect((await search(`?q=${"a".repeat(201)}`, p.as.repA)).status).toBe(422);
    expect((await search("?q=a", {})).status).toBe(401);
  });
});
