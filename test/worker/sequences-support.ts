// Helpers of the sequence tests: a test database whose events queue is a fake (tests see the fan-out chunks
// and the domain events, and deliver them to the Worker's own consumer), API calls as a user with their round
// trips, contacts with an owner in a chosen time zone, templates and sequences, and what a contact received.
import { asc, eq } from "drizzle-orm";
import { newId } from "../../db/ids.ts";
import { activities, contacts, outbox, sequenceEnrolments, tasks, users } from "../../db/schema/index.ts";
import { dispatchDomainEvents } from "../../queues/domain-events/dispatch.ts";
import { DISPATCH_EVENTS } from "../../queues/domain-events/types.ts";
import type { QueueMessage } from "../../queues/message.ts";
import { createUser, sessionFor, type TestUser } from "./factories.ts";
import { fakeQueue } from "./forms-support.ts";
import { useTestDatabase } from "./support.ts";

export const MINUTE = 60_000;
export const DAY = 24 * 60 * MINUTE;

export function sequencesTest() {
  const events = fakeQueue();
  const t = useTestDatabase({ EVENTS_QUEUE: events.queue });

  /** A caller: (path, method, body, headers) → status, JSON body and the round trips the request made. */
  async function as(user: TestUser) {
    const { headers } = await sessionFor(t.db, user);
    return async (path: string, method = "GET", body?: unknown, extra: Record<string, string> = {}) => {
      let response: Response | undefined;
      const trips = await t.roundTrips(async () => {
        response = await t.fetch(path, {
          method,
          headers: {
            ...headers,
            ...(body === undefined ? {} : { "Content-Type": "application/json" }),
            ...extra,
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      });
      if (!response) throw new Error("no response");
      const text = await response.text();
      // biome-ignore lint/suspicious/noExplicitAny: test bodies are read loosely, asserted field by field.
      const json = (text ? JSON.parse(text) : {}) as any;
      return { status: response.status, headers: response.headers, body: json, trips };
    };
  }

  async function userIn(timeZone: string, role: TestUser["role"] = "rep") {
    const user = await createUser(t.db, { role });
    await t.db.update(users).set({ timeZone }).where(eq(users.id, user.id));
    return user;
  }

  async function contactOf(
    owner: TestUser | null,
    values: { email?: string | null; emailConsent?: "granted" | "withdrawn" | null } = {},
  ) {
    const id = newId();
    const now = Date.now();
    await t.db.insert(contacts).values({
      id,
      name: `Lan ${id.slice(-6)}`,
      firstName: "Lan",
      email: values.email === undefined ? `lan-${id.slice(-12)}@example.com` : values.email,
      emailConsent: values.emailConsent ?? null,
      ownerId: owner?.id ?? null,
      createdAt: now,
      updatedAt: now,
    });
    return id;
  }

  type Api = Awaited<ReturnType<typeof as>>;

  async function templateVia(api: Api, kind: "marketing" | "transactional" = "transactional") {
    const response = await api("/api/v1/email-templates", "POST", {
      name: `${kind} follow-up`,
      kind,
      variants: { en: { subject: "Hello {{contact.firstName}}", html: "<p>Following up</p>" } },
    });
    if (response.status !== 201) throw new Error(`template: ${response.status}`);
    return response.body.id as string;
  }

  async function sequenceVia(api: Api, steps: unknown[], name = "Cadence") {
    const response = await api("/api/v1/sequences", "POST", { name, steps });
    if (response.status !== 201)
      throw new Error(`sequence: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.id as string;
  }

  /** The minute cron at `at` (every minute job runs; the sequences job among them). */
  function cron(at: number) {
    return t.scheduled("* * * * *", at);
  }

  /** Moves recorded domain events onto the (fake) queue and delivers them, with anything else waiting there. */
  async function deliverEvents() {
    await dispatchDomainEvents({
      db: t.db,
      config: {} as never,
      queues: { capture: events.queue, events: events.queue, outbound: events.queue },
    });
    const waiting = events.sent.splice(0).filter((m) => m.type !== DISPATCH_EVENTS);
    if (waiting.length > 0) await t.queue("crm-events", waiting);
    return waiting;
  }

  /** Delivers the given messages (shaped as the contract says) to the events consumer. */
  function deliver(messages: QueueMessage[]) {
    return t.queue("crm-events", messages);
  }

  async function received(contactId: string) {
    const emails = await t.db.select().from(outbox).where(eq(outbox.contactId, contactId));
    const madeTasks = await t.db.select().from(tasks).where(eq(tasks.contactId, contactId));
    const timeline = await t.db
      .select()
      .from(activities)
      .where(eq(activities.contactId, contactId))
      .orderBy(asc(activities.occurredAt), asc(activities.id));
    const sequenceEntries = timeline
      .filter((a) => a.type === "system")
      .map((a) => ({ ...a, meta: JSON.parse(a.metadata) as Record<string, unknown> }))
      .filter((a) => a.meta.sequenceEvent !== undefined);
    return { emails, tasks: madeTasks, timeline, sequenceEntries };
  }

  async function enrolmentsOf(contactId: string) {
    return t.db.select().from(sequenceEnrolments).where(eq(sequenceEnrolments.contactId, contactId));
  }

  return {
    t,
    events,
    as,
    userIn,
    contactOf,
    templateVia,
    sequenceVia,
    cron,
    deliverEvents,
    deliver,
    received,
    enrolmentsOf,
  };
}
