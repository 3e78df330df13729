// Scoring rule sets: the current one (the highest version; version 0 is the built-in default), and saving a
// new one with If-Match, its audit entry and the recompute job it starts, all in one batch.
import { desc, eq, sql } from "drizzle-orm";
import { callerAuditStatement } from "../audit-queries.ts";
import { type CallerRef, callerUserId } from "../caller.ts";
import type { Database } from "../client.ts";
import { scoringJobs, scoringRuleSets } from "../schema/index.ts";
import type { WriteContext } from "../statements.ts";

export type RuleSetRow = typeof scoringRuleSets.$inferSelect;
export type ScoringJobRow = typeof scoringJobs.$inferSelect;

export function currentRulesQuery(db: Database) {
  return db.select().from(scoringRuleSets).orderBy(desc(scoringRuleSets.version)).limit(1);
}

export function scoringJobQuery(db: Database, id: string) {
  return db.select().from(scoringJobs).where(eq(scoringJobs.id, id));
}

const latest = sql`(select coalesce(max(version), 0) from scoring_rule_sets)`;

/**
 * Saves `rules` (JSON text) as the next version when the current one is `ifMatch` (any, when null), and starts
 * the job that recomputes every contact with it. Results: [saved version (0 or 1 row), job, audit, current].
 */
export function saveRulesStatements(
  db: Database,
  me: CallerRef,
  rules: string,
  ifMatch: number | null,
  jobId: string,
  ctx: WriteContext,
) {
  const applies = ifMatch === null ? sql`1` : sql`${latest} = ${ifMatch}`;
  const saved = sql`exists (select 1 from scoring_rule_sets where version = ${latest} and created_at = ${ctx.now} and rules = ${rules})`;
  return [
    db.all<{ version: number }>(sql`insert into scoring_rule_sets (version, rules, created_by, created_at)
      select ${latest} + 1, ${rules}, ${callerUserId(me)}, ${ctx.now} where ${applies}
      returning version`),
    db.all<{
      id: string;
    }>(sql`insert into scoring_jobs (id, kind, status, rules_version, as_of, created_by, created_at)
      select ${jobId}, 'rules', 'planning', ${latest}, ${ctx.now}, ${callerUserId(me)}, ${ctx.now} where ${saved}
      returning id`),
    callerAuditStatement(
      db,
      me,
      { action: "scoring_rules.updated", targetType: "scoring_rules", targetId: jobId },
      ctx.origin,
      ctx.now,
      { when: sql`exists (select 1 from scoring_jobs where id = ${jobId})` },
    ),
    currentRulesQuery(db),
  ] as const;
}
