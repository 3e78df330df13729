// `npm run db:event-triggers`: prints the domain-event triggers (db/domain-event-triggers.ts) as migration SQL.
// After a column is added to an evented table: drop and recreate them in a new migration with this output.
import { domainEventTriggers } from "../db/domain-event-triggers.ts";

const drop = process.argv.includes("--drop");
for (const trigger of domainEventTriggers()) {
  if (drop) console.log(`DROP TRIGGER IF EXISTS \`${trigger.name}\`;--> statement-breakpoint`);
  console.log(`${trigger.sql}--> statement-breakpoint`);
}
