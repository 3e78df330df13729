// GET /api/v1/deals?q=…: the deal list narrowed by the full-text index over deal names, accent- and
// case-insensitive, the last word a prefix, still scoped to the deals the caller may see, in one round trip.
import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "../support.ts";
import { caller, type Json, type People, people, STAGE } from "./deals-helpers.ts";

const t = useTestDatabase();
const call = caller(t);
let p: People;
const ids: Record<string, string> = {};

async function createDeal(key: string, headers: Record<string, string>, name: string) {
  const { status, body } = await call("POST", "/api/v1/deals", headers, {
    name,
    amount: 1_000_000,
    currency: "VND",
    stageId: STAGE.meeting,
  });
  expect(status).toBe(201);
  ids[key] = body.id;
}

beforeAll(async () => {
  p = await people(t);
  await createDeal("contract", p.as.repA, "Hợp đồng Công ty Đông Á");
  await createDeal("renewal", p.as.repA, "Gia hạn hợp đồng 2026");
  await createDeal("licences", p.as.repA, "Licences for ACME");
  await createDeal("theirs", p.as.repB, "Hợp đồng của đội B");
});

async function search(q: string, headers = p.as.repA, extra = ""): Promise<string[]> {
  const response = await call("GET", `/api/v1/deals?q=${encodeURIComponent(q)}${extra}`, headers);
  expect(response.status, q).toBe(200);
  expect(response.trips).toBe(1);
  return (response.body.items as Json[]).map((deal) => deal.id as string);
}

describe("searching deals by name", () => {
  it("ignores accents and case: `hop dong` finds `Hợp đồng`, đ as d", async () => {
    expect((await search("hop dong")).sort()).toEqual([ids.contract, ids.renewal].sort());
    expect(await search("HỢP ĐỒNG dong a")).toEqual([ids.contract]);
    expect(await search("cong ty dong a")).toEqual([ids.contract]);
  });

  it("matches the last word as a prefix, the others whole", async () => {
    expect(await search("lic")).toEqual([ids.licences]);
    expect(await search("hop dong 20")).toEqual([ids.renewal]);
    expect(await search("hop do 2026")).toEqual([]);
    expect(await search("li acme")).toEqual([]);
  });

  it("never finds a deal the caller may not see", async () => {
    expect(await search("hop dong")).not.toContain(ids.theirs);
    expect(await search("doi b")).toEqual([]);
    expect(await search("doi b", p.as.repB)).toEqual([ids.theirs]);
    expect((await search("hop dong", p.as.admin)).sort()).toEqual(
      [ids.contract, ids.renewal, ids.theirs].sort(),
    );
  });

  it("combines with filters, sorts and keyset pages", async () => {
    const first = await call("GET", "/api/v1/deals?q=hop&limit=1&sort=created", p.as.admin);
    expect(first.body.items.map((deal: Json) => deal.id)).toEqual([ids.contract]);
    expect(first.body.nextCursor).toBeTypeOf("string");
    const rest = await search("hop", p.as.admin, `&limit=5&sort=created&cursor=${first.body.nextCursor}`);
    expect(rest).toEqual([ids.renewal, ids.theirs]);
    expect(await search("hop dong", p.as.admin, `&ownerId=${p.repB.id}`)).toEqual([ids.theirs]);
  });

  it("treats search syntax as text and a query without words as no filter", async () => {
    expect(await search('"hop" OR licences')).toEqual([]);
    expect(await search("NEAR(hop dong)")).toEqual([]);
    expect((await search("  ")).length).toBe(3);
  });

  it("refuses a query longer than 200 characters", async () => {
    const response = await call("GET", `/api/v1/deals?q=${"a".repeat(201)}`, p.as.repA);
    expect(response.status).toBe(422);
  });
});
