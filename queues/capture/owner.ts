// Who owns a lead a form brought in. Today: the form's default owner, when that user is active. Assignment rules
// (round robin, territories, capacity) arrive in a later issue and plug in here: this is the one place the
// capture batch asks, and whatever it returns is an SQL expression evaluated inside that batch, so a rule may
// read rows (workloads, teams) without an extra round trip.
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
