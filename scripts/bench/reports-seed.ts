// The report bench's data: N deals over two years up to a fixed day, with their stage history (won, lost or
// still open), a contact for every second deal (sources, campaigns, grades, lifecycle stages), a company for every
// eighth, and a logged activity per deal. Written with the demo seed's owners, pipeline and multi-row inserts;
// a stream of its own keeps it repeatable, and a second run with the same seed adds nothing.
import type { Client } from "@libsql/client";
import { Random } from "../seed/random.ts";
import { ensureOwners, ensurePipeline, inserts, type Row } from "../seed/run.ts";

const DAY = 24 * 60 * 60_000;
const SOURCES = ["Website", "Google Ads", "Facebook", "Referral", "Zalo", "Event", "Cold call"];
const CAMPAIGNS = ["tet-2026", "summer", "webinar", "brand", null];
const GRADES = ["A", "B", "C", "D", null];
const CHUNK = 2000;

export interface DealSeedOptions {
  deals: number;
  seed: number;
  now: number;
  onProgress?: (done: number, total: number) => void;
}

export async function seedDeals(client: Client, options: DealSeedOptions): Promise<void> {
  const owners = await ensureOwners(client, new Random(options.seed ^ 0x5eed01), options.now);
  const { pipelineId, stages } = await ensurePipeline(
    client,
    new Random(options.seed ^ 0x5eed02),
    options.now,
  );
  const open = stages.filter((s) => s.outcome === null);
  const won = stages.find((s) => s.outcome === "won");
  const lost = stages.find((s) => s.outcome === "lost");
  if (!won || !lost || open.length === 0) throw new Error("The pipeline needs open, won and lost stages");
  await client.execute("pragma cache_size = -524288").catch(() => undefined);
  const rng = new Random(options.seed ^ 0xdea15);
  let contact: Row | undefined;
  let company: Row | undefined;
  for (let start = 0; start < options.deals; start += CHUNK) {
    const rows: Record<string, Row[]> = {
      companies: [],
      contacts: [],
      deals: [],
      deal_contacts: [],
      deal_stage_history: [],
      activities: [],
    };
    for (let i = start; i < Math.min(options.deals, start + CHUNK); i++) {
      const owner = rng.pick(owners);
      const createdAt = options.now - rng.int(1, 730) * DAY + rng.int(0, DAY - 1);
      if (i % 8 === 0 || !company) {
        company = {
          id: rng.uuidv7(createdAt),
          name: `Bench company ${i}`,
          owner_id: owner.id,
          team_id: owner.teamId,
          created_at: createdAt,
          updated_at: createdAt,
        };
        rows.companies?.push(company);
      }
      if (i % 2 === 0 || !contact) {
        const stage = rng.pick([
          "lead",
          "lead",
          "mql",
          "sql",
          "opportunity",
          "customer",
          "customer",
          "churned",
        ]);
        const touch = rng.pick(CAMPAIGNS);
        contact = {
          id: rng.uuidv7(createdAt),
          name: `Bench contact ${i}`,
          lifecycle_stage: stage,
          source: rng.pick(SOURCES),
          first_touch: touch ? JSON.stringify({ campaign: touch }) : null,
          grade: rng.pick(GRADES),
          company_id: company.id as string,
          owner_id: owner.id,
          team_id: owner.teamId,
          created_at: createdAt,
          updated_at: createdAt,
        };
        rows.contacts?.push(contact);
      }
      // Through one to four open stages, then won (30 %), lost (20 %) or still open.
      const path: { stage: string; at: number }[] = [];
      let at = createdAt;
      const steps = rng.int(1, Math.min(4, open.length));
      for (let s = 0; s < steps && at < options.now; s++) {
        path.push({ stage: (open[s] ?? open[0])?.id as string, at });
        at += rng.int(1, 20) * DAY + rng.int(0, DAY - 1);
      }
      const fate = rng.next();
      const outcome = fate < 0.3 ? won : fate < 0.5 ? lost : null;
      if (outcome && at < options.now) path.push({ stage: outcome.id, at });
      const last = path[path.length - 1] as { stage: string; at: number };
      const closed = last.stage === won.id || last.stage === lost.id;
      const dealId = rng.uuidv7(createdAt);
      const usd = rng.chance(0.3);
      rows.deals?.push({
        id: dealId,
        name: `Bench deal ${i}`,
        amount: usd ? rng.int(10, 500) * 100_00 : rng.int(5, 2000) * 1_000_000,
        currency: usd ? "USD" : "VND",
        pipeline_id: pipelineId,
        stage_id: last.stage,
        stage_entered_at: last.at,
        status: closed ? (last.stage === won.id ? "won" : "lost") : "open",
        expected_close_date: closed
          ? null
          : new Date(last.at + rng.int(7, 120) * DAY).toISOString().slice(0, 10),
        closed_at: closed ? last.at : null,
        forecast_override: !closed && rng.chance(0.05) ? "commit" : null,
        company_id: rng.chance(0.7) ? (company.id as string) : null,
        owner_id: owner.id,
        team_id: owner.teamId,
        created_at: createdAt,
        updated_at: last.at,
      });
      rows.deal_contacts?.push({ deal_id: dealId, contact_id: contact.id as string });
      path.forEach((stay, k) => {
        rows.deal_stage_history?.push({
          id: rng.uuidv7(stay.at),
          deal_id: dealId,
          stage_id: stay.stage,
          entered_at: stay.at,
          left_at: path[k + 1]?.at ?? null,
          moved_by: owner.id,
        });
      });
      const activityAt = Math.min(options.now - 1, createdAt + rng.int(0, 30) * DAY);
      rows.activities?.push({
        id: rng.uuidv7(activityAt),
        type: rng.pick(["call", "email", "meeting", "note"]),
        occurred_at: activityAt,
        actor_user_id: owner.id,
        contact_id: contact.id as string,
        deal_id: dealId,
        metadata: "{}",
        created_at: activityAt,
      });
    }
    await client.batch(
      Object.entries(rows).flatMap(([table, list]) => inserts(table, list)),
      "write",
    );
    options.onProgress?.(Math.min(options.deals, start + CHUNK), options.deals);
  }
}
