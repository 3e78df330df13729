// Helpers of the scoring tests: a test database whose events queue is a fake (the tests see every message and
// deliver them to the Worker's own queue handler), contacts and companies made straight in the database, rule
// sets to start from, and engagement events as webhooks will send them.
import { eq } from "drizzle-orm";
import { newId } from "../../db/ids.ts";
import { activities, companies, contactScores, contacts } from "../../db/schema/index.ts";
import type { QueueMessage } from "../../queues/message.ts";
import { ENGAGEMENT_RECORDED_EVENT } from "../../queues/scoring/messages.ts";
import type { EngagementKind, RuleSet } from "../../queues/scoring/rules.ts";
import { fakeQueue } from "./forms-support.ts";
import { useTestDatabase } from "./support.ts";

export type Headers = Record<string, string>;

export function scoringTest() {
  const events = fakeQueue();
  const t = useTestDatabase({ EVENTS_QUEUE: events.queue });

  async function call(method: string, path: string, headers: Headers = {}, body?: unknown) {
    let response: Response | undefined;
    const trips = await t.roundTrips(async () => {
      response = await t.fetch(path, {
        method,
        headers: { ...(body === undefined ? {} : { "Content-Type": "application/json" }), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    });
    if (!response) throw new Error("no response");
    const text = await response.text();
    // biome-ignore lint/suspicious/noExplicitAny: test bodies are read loosely, asserted field by field.
    const json = (text ? JSON.parse(text) : {}) as any;
    return { status: response.status, headers: response.headers, body: json, trips };
  }

  /** Delivers the events queue's messages (all sent so far, or those given) to the consumer. */
  async function deliver(messages: QueueMessage[] = events.sent.splice(0)) {
    return t.queue("crm-events", messages);
  }

  async function insertContact(
    values: Partial<typeof contacts.$inferInsert> & {
      company?: Partial<typeof companies.$inferInsert>;
    } = {},
  ): Promise<string> {
    const { company, ...contact } = values;
    const now = Date.now();
    let companyId: string | null = null;
    if (company) {
      companyId = newId();
      await t.db
        .insert(companies)
        .values({ name: "Acme", ...company, id: companyId, createdAt: now, updatedAt: now });
    }
    const id = newId();
    await t.db
      .insert(contacts)
      .values({ name: "Lead", ...contact, id, companyId, createdAt: now, updatedAt: now });
    return id;
  }

  async function scoreRow(contactId: string) {
    const [row] = await t.db.select().from(contactScores).where(eq(contactScores.contactId, contactId));
    return row;
  }

  async function contactRow(contactId: string) {
    const [row] = await t.db.select().from(contacts).where(eq(contacts.id, contactId));
    if (!row) throw new Error(`no contact ${contactId}`);
    return row;
  }

  async function scoreChanges(contactId: string) {
    const rows = await t.db.select().from(activities).where(eq(activities.contactId, contactId));
    return rows.filter((r) => r.type === "score_change");
  }

  return { t, events, call, deliver, insertContact, scoreRow, contactRow, scoreChanges };
}

export function engagement(
  contactId: string,
  kind: EngagementKind,
  at: number,
  eventId = `evt-${crypto.randomUUID()}`,
): QueueMessage {
  return {
    id: `${ENGAGEMENT_RECORDED_EVENT}:${eventId}`,
    type: ENGAGEMENT_RECORDED_EVENT,
    createdAt: at,
    data: { eventId, contactId, kind, at },
  };
}

/** A rule set with nothing in it: tests add the rules they are about. */
export function emptyRules(extra: Partial<RuleSet> = {}): RuleSet {
  return {
    fit: { groups: [], rules: [] },
    engagement: { groups: [], rules: [], decay: { kind: "none" } },
    grading: { fitWeight: 1, engagementWeight: 0, bands: [], otherwise: "D" },
    ...extra,
  };
}
