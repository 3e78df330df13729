// Enrolments: putting contacts into a sequence and taking them out (a result per contact; anyone who may change
// contacts, for the contacts they see), and listing a sequence's or a contact's enrolments with their state.
// Each request is one database round trip.
import { sql } from "drizzle-orm";
import { denyUnless } from "../../../db/access.ts";
import { callerUserId, canSeeRecord } from "../../../db/caller.ts";
import { keysetPage } from "../../../db/paging.ts";
import { sequences } from "../../../db/schema/index.ts";
import { enrolContactsStatements, unenrolContactsStatements } from "../../../db/sequences/enrolments.ts";
import { readSequenceQuery } from "../../../db/sequences/sequences.ts";
import {
  contactEnrolmentsQuery,
  sequenceEnrolmentsQuery,
  visibleContactQuery,
} from "../../../db/sequences/views.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import { ApiError, problemContent } from "../../errors.ts";
import { body, json } from "../../openapi.ts";
import { IdParams } from "../contacts/schemas.ts";
import {
  EnrolmentListQuery,
  EnrolmentPage,
  EnrolRequest,
  EnrolResponse,
  UnenrolRequest,
  UnenrolResponse,
} from "./schemas.ts";
import { toEnrolment } from "./views.ts";

const tags = ["Sequences"];
const read = { scope: "workflows:read" } as const;
// Enrolling changes what happens to contacts: whoever may change contacts may, for the contacts they see.
const enrolAccess = { scope: "contacts:write", write: true } as const;

const enrolRoute = defineRoute({
  method: "post",
  path: "/api/v1/sequences/{id}/enrolments",
  tags,
  summary: "Enrol contacts in a sequence; a result per contact",
  description:
    "Each contact the caller may see, and not already in the sequence, is enrolled: its first step runs after " +
    "its delay (at once for 0; else at 09:00 in the contact owner's time zone on that business day). A contact " +
    "is in a sequence at most once at a time. Answers 200 with each contact's result.",
  access: enrolAccess,
  record: "sequence",
  request: { params: IdParams, ...body(EnrolRequest) },
  responses: {
    200: json(EnrolResponse, "Each contact's result, in order"),
    409: problemContent("The sequence is disabled"),
  },
});

const unenrolRoute = defineRoute({
  method: "post",
  path: "/api/v1/sequences/{id}/unenrolments",
  tags,
  summary: "Take contacts out of a sequence; a result per contact",
  description: "Their next step never runs; the timeline says they were taken out by hand.",
  access: enrolAccess,
  record: "sequence",
  request: { params: IdParams, ...body(UnenrolRequest) },
  responses: { 200: json(UnenrolResponse, "Each contact's result, in order") },
});

const sequenceEnrolmentsRoute = defineRoute({
  method: "get",
  path: "/api/v1/sequences/{id}/enrolments",
  tags,
  summary: "A sequence's enrolments (of contacts the caller sees), newest first, with their state",
  access: read,
  record: "sequence",
  request: { params: IdParams, query: EnrolmentListQuery },
  responses: { 200: json(EnrolmentPage, "One page of enrolments") },
});

const contactEnrolmentsRoute = defineRoute({
  method: "get",
  path: "/api/v1/contacts/{id}/sequence-enrolments",
  tags,
  summary: "A contact's sequence enrolments, newest first, with their state",
  access: { scope: "contacts:read" },
  record: "contact",
  request: { params: IdParams, query: EnrolmentListQuery },
  responses: { 200: json(EnrolmentPage, "One page of enrolments") },
});

const liveSequence = (id: string) =>
  sql`exists (select 1 from ${sequences} where ${sequences.id} = ${id} and ${sequences.deletedAt} is null)`;

function tally<S extends string>(statuses: readonly S[], results: readonly { status: S }[]) {
  const counts = Object.fromEntries(statuses.map((s) => [s, 0])) as Record<S, number>;
  for (const result of results) counts[result.status] += 1;
  return counts;
}

export const sequenceEnrolmentRoutes = createRouter()
  .openapi(enrolRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { contactIds } = c.req.valid("json");
    const db = c.get("db");
    let outcomes: ReturnType<typeof enrolContactsStatements>["outcomes"] = () => [];
    const { results } = await authorizedWrite(
      c,
      (me) => {
        const enrol = enrolContactsStatements(
          db,
          {
            sequenceId: id,
            contactIds,
            enrolledBy: callerUserId(me),
            visible: (owner, team) => canSeeRecord(me, owner, team),
          },
          Date.now(),
        );
        outcomes = enrol.outcomes;
        return [
          denyUnless(db, liveSequence(id), "not_found"),
          denyUnless(
            db,
            sql`exists (select 1 from ${sequences} where ${sequences.id} = ${id} and ${sequences.enabled} = 1)`,
            "conflict",
          ),
          ...enrol.statements,
        ] as const;
      },
      { conflict: "The sequence is disabled: enable it (PATCH enabled: true) before enrolling contacts." },
    );
    const list = outcomes(results[4]);
    return c.json(
      { results: list, counts: tally(["enrolled", "already_enrolled", "not_found"] as const, list) },
      200,
    );
  })
  .openapi(unenrolRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { contactIds } = c.req.valid("json");
    const db = c.get("db");
    let outcomes: ReturnType<typeof unenrolContactsStatements>["outcomes"] = () => [];
    const { results } = await authorizedWrite(c, (me) => {
      const unenrol = unenrolContactsStatements(
        db,
        {
          sequenceId: id,
          contactIds,
          actor: callerUserId(me),
          visible: (owner, team) => canSeeRecord(me, owner, team),
        },
        Date.now(),
      );
      outcomes = unenrol.outcomes;
      return [denyUnless(db, liveSequence(id), "not_found"), ...unenrol.statements] as const;
    });
    const list = outcomes(results[1]);
    return c.json(
      { results: list, counts: tally(["unenrolled", "not_enrolled", "not_found"] as const, list) },
      200,
    );
  })
  .openapi(sequenceEnrolmentsRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { cursor, limit, status } = c.req.valid("query");
    const db = c.get("db");
    const {
      results: [sequence, rows],
    } = await authorizedRead(
      c,
      (me) =>
        [
          readSequenceQuery(db, id),
          sequenceEnrolmentsQuery(db, me, id, { status, before: cursor, limit }),
        ] as const,
    );
    if (sequence.length === 0) throw new ApiError("not_found", "Not found");
    return c.json(keysetPage(rows, limit, toEnrolment), 200);
  })
  .openapi(contactEnrolmentsRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { cursor, limit, status } = c.req.valid("query");
    const db = c.get("db");
    const {
      results: [contact, rows],
    } = await authorizedRead(
      c,
      (me) =>
        [
          visibleContactQuery(db, me, id),
          contactEnrolmentsQuery(db, id, { status, before: cursor, limit }),
        ] as const,
    );
    if (contact.length === 0) throw new ApiError("not_found", "Not found");
    return c.json(keysetPage(rows, limit, toEnrolment), 200);
  });
