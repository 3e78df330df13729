// The suppression list: emails and phones of people erased on request, kept only as SHA-256 hashes of their
// normalised form. Whatever makes contacts from outside (forms, inbound webhooks, imports) hashes the values
// it has with suppressionHashes() and makes the contact only when notSuppressedSql() holds in its batch.
import { type SQL, sql } from "drizzle-orm";
import { sha256Hex } from "../../functions/auth/secrets.ts";

/** Fixed text before each value, so these hashes are not interchangeable with any other SHA-256 of an email. */
const PREFIX = "crm-suppression:v1:";

/** The form an email is compared in: trimmed, lower case. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * The hashes to look up for a person: of the email (normalised) and of the phone (already E.164, as contacts
 * store it). Null and empty values are left out.
 */
export async function suppressionHashes(values: {
  emails?: readonly (string | null | undefined)[];
  phones?: readonly (string | null | undefined)[];
}): Promise<{ kind: "email" | "phone"; hash: string }[]> {
  const out: { kind: "email" | "phone"; hash: string }[] = [];
  for (const email of values.emails ?? []) {
    if (email?.trim())
      out.push({ kind: "email", hash: await sha256Hex(`${PREFIX}email:${normaliseEmail(email)}`) });
  }
  for (const phone of values.phones ?? []) {
    if (phone?.trim()) out.push({ kind: "phone", hash: await sha256Hex(`${PREFIX}phone:${phone.trim()}`) });
  }
  return out;
}

/** SQL that is true when none of the hashes is on the list (true for none at all). */
export function notSuppressedSql(hashes: readonly { hash: string }[]): SQL {
  if (hashes.length === 0) return sql`1`;
  return sql`not exists (select 1 from suppressions where hash in (${sql.join(
    hashes.map((h) => sql`${h.hash}`),
    sql`, `,
  )}))`;
}

/** SQL that is true when one of the hashes is on the list. */
export function isSuppressedSql(hashes: readonly { hash: string }[]): SQL {
  return sql`(not ${notSuppressedSql(hashes)})`;
}

/** What a submission that named an erased person keeps: the fact, not what was sent. */
export const SUPPRESSED_NOTE = "Not recorded: this person asked to be erased (suppression list).";
