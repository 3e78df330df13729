// Who owns a lead a form brought in, inside the capture batch: the form's default owner, when that user is
// active. This is the default and the fallback only: assignment rules (queues/assignment/) run afterwards, on the
// `form.submitted` event, and replace this owner when the contact has no owner or only the form's default owner
// and has never been assigned by the engine (queues/assignment/engine.ts, assignableSql). Forms never duplicate
// the assignment logic here; whatever this returns is an SQL expression evaluated inside the capture batch.
import { type SQL, sql } from "drizzle-orm";

export interface OwnerContext {
  formId: string;
  defaultOwnerId: string | null;
}

/** The owner of a new lead, as SQL yielding a user id or null (no owner). */
export function leadOwner(context: OwnerContext): SQL {
  return context.defaultOwnerId === null
    ? sql`null`
    : sql`(select id from users where id = ${context.defaultOwnerId} and active = 1)`;
}
