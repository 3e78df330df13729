// The migrations hold exactly the domain-event triggers that db/domain-event-triggers.ts generates from the
// schema: a column added to an evented table without regenerating them fails here, not in an engine later.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { domainEventTriggers } from "../../db/domain-event-triggers.ts";

const dir = join(import.meta.dirname, "../../db/migrations");
const migrations = readdirSync(dir)
  .filter((name) => name.endsWith(".sql"))
  .sort()
  .map((name) => readFileSync(join(dir, name), "utf8"))
  .join("\n");

/** The last definition of a trigger across the migrations, from CREATE to END;. */
function lastDefinition(name: string): string | undefined {
  const start = migrations.lastIndexOf(`CREATE TRIGGER \`${name}\``);
  if (start < 0) return undefined;
  const end = migrations.indexOf("END;", start);
  return migrations.slice(start, end + "END;".length);
}

it("has every generated trigger in the migrations, as generated", () => {
  const triggers = domainEventTriggers();
  expect(triggers.length).toBeGreaterThan(20);
  for (const trigger of triggers) {
    expect(lastDefinition(trigger.name), `${trigger.name}: run npm run db:event-triggers`).toBe(trigger.sql);
  }
});
