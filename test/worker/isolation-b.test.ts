// Two files (isolation-a and isolation-b) write the same key: each must see only its own row.
import { eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { deadLetters } from "../../db/schema/index.ts";
import { useTestDatabase } from "./support.ts";

const t = useTestDatabase();

it("sees only what this test file wrote under a key the other file writes too", async () => {
  await t.db.insert(deadLetters).values({
    id: "shared-key",
    queue: "crm-capture",
    messageId: "shared-key",
    body: JSON.stringify({ writer: "b" }),
    attempts: 1,
    receivedAt: Date.now(),
  });
  // Give the other file time to write its row, if the two shared a database.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const rows = await t.db.select().from(deadLetters).where(eq(deadLetters.id, "shared-key"));
  expect(rows.map((r) => JSON.parse(r.body))).toEqual([{ writer: "b" }]);
});
