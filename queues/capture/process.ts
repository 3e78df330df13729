// Processing one form submission: read the form, the submission's row and the contact configuration (one
// round trip), decide in code what can be decided there (validation against the form as it is now, spam
// signals, the lead's properties), then write everything in one batch (queues/capture/statements.ts) and
// announce the lead. Idempotent on the submission id: a second delivery finds the row settled and only
// announces again (events are keyed by the submission, so their consumers see one lead).
import { eq } from "drizzle-orm";
import { type CustomFieldObject, recordConfigQueries, storeRecordConfig } from "../../db/custom-fields.ts";
import { formQuery } from "../../db/forms/definitions.ts";
import { submissionQuery } from "../../db/forms/submissions.ts";
import { newId } from "../../db/ids.ts";
import { suppressionHashes } from "../../db/privacy/suppression.ts";
import { formSubmissions } from "../../db/schema/index.ts";
import { checkValues, type StoredDefinition, toPublicForm } from "../../functions/forms/definition.ts";
import { isConsentGiven, MESSAGES } from "../../functions/forms/field-rules.ts";
import { spamReasons, type TurnstileVerdict, verifyTurnstile } from "../../functions/forms/spam.ts";
import type { ConsumerServices } from "../consume.ts";
import { dealName, fingerprintOf, leadFrom, summaryOf } from "./lead.ts";
import { type CaptureData, FORM_SUBMITTED_EVENT } from "./message.ts";
import { type CapturePlan, captureStatements } from "./statements.ts";

export type CaptureOutcome =
  | { status: "processed"; contactId: string; dealId: string | null; createdContact: boolean }
  | { status: "duplicate" | "spam" | "failed"; contactId: string | null }
  /** The submission was settled before (a second delivery), or another run settled it meanwhile. */
  | { status: "already"; was: string }
  /** No such form: nothing is kept for an id that never named a form. */
  | { status: "dropped" };

const CONTACT: CustomFieldObject = "contact";

export async function processCapture(data: CaptureData, services: ConsumerServices): Promise<CaptureOutcome> {
  const { db, config } = services;
  const [formRows, rows, customRows, stamps] = await db.batch([
    formQuery(db, data.formId),
    submissionQuery(db, data.submissionId),
    ...recordConfigQueries(db, CONTACT),
  ]);
  const form = formRows[0];
  const existing = rows[0];

  if (existing && existing.status !== "received") {
    if (existing.status === "processed" && existing.contactId) {
      await announce(services, data, existing.contactId, existing.dealId);
    }
    return { status: "already", was: existing.status };
  }
  if (!form) {
    if (!existing) {
      console.warn(
        JSON.stringify({ level: "warn", message: "submission for no form dropped", formId: data.formId }),
      );
      return { status: "dropped" };
    }
    await db
      .update(formSubmissions)
      .set({ status: "failed", error: "No such form.", processedAt: Date.now(), updatedAt: Date.now() })
      .where(eq(formSubmissions.id, existing.id));
    return { status: "failed", contactId: null };
  }

  const contactConfig = storeRecordConfig(config.LIBSQL_URL, CONTACT, [customRows, stamps]);
  const definition = JSON.parse(form.definition) as StoredDefinition;
  const publicForm = toPublicForm({ id: form.id, name: form.name, definition });
  const { fields, honeypot } = splitHoneypot(data, definition);
  const { values, errors } = checkValues(publicForm, fields, data.consent);
  const consent = isConsentGiven(data.consent);

  const turnstile =
    definition.spam.turnstile && !data.replay ? await turnstileVerdict(data, form.turnstileSecret) : null;
  const spam = data.replay
    ? []
    : spamReasons({
        honeypot,
        renderedAt: data.renderedAt,
        receivedAt: data.receivedAt,
        minFillMs: definition.spam.minFillMs,
        origin: data.origin,
        selfOrigin: data.selfOrigin,
        allowedOrigins: definition.allowedOrigins,
        turnstile,
      });
  const failure =
    form.archivedAt !== null
      ? "The form is archived: restore it, then replay the submission."
      : errors.length > 0
        ? JSON.stringify(errors.map((e) => ({ ...e, message: MESSAGES.en[e.code] })))
        : null;
  const lead = leadFrom(definition, values, {
    region: contactConfig.region,
    customFields: contactConfig.definitions,
  });
  const limit = definition.spam.perIpLimit;
  const plan: CapturePlan = {
    data,
    form: { id: form.id, name: form.name, defaultOwnerId: form.defaultOwnerId, definition },
    claim: newId(),
    now: Date.now(),
    spam,
    failure,
    ipLimit: !data.replay && limit ? { max: limit.max, windowMs: limit.windowMinutes * 60_000 } : null,
    lead,
    values,
    summary: summaryOf(definition, values),
    consent,
    fingerprint:
      spam.length === 0 && failure === null
        ? await fingerprintOf(form.id, lead.email ?? data.visitorId ?? data.ip, values, consent)
        : null,
    dealName: definition.deal ? dealName(definition.deal.name, form.name, lead, values) : null,
    suppression: await suppressionHashes({ emails: [lead.email], phones: [lead.phone] }),
  };
  const results = await db.batch(
    captureStatements(db, plan, { contact: newId(), company: newId(), deal: newId() }),
  );
  const outcome = (
    results.at(-1) as { status: string; contactId: string | null; dealId: string | null; created: number }[]
  )[0];
  if (!outcome) {
    // Another delivery of the same submission settled it between our read and our batch.
    return { status: "already", was: "settled" };
  }
  if (outcome.status === "processed" && outcome.contactId) {
    await announce(services, data, outcome.contactId, outcome.dealId);
    return {
      status: "processed",
      contactId: outcome.contactId,
      dealId: outcome.dealId,
      createdContact: outcome.created === 1,
    };
  }
  return { status: outcome.status as "duplicate" | "spam" | "failed", contactId: outcome.contactId };
}

/** The trap's value: the JSON `honeypot`, or the field named after the trap in a plain form post. */
function splitHoneypot(data: CaptureData, definition: StoredDefinition) {
  const name = definition.spam.honeypotName;
  const { [name]: trap, ...fields } = data.fields;
  const posted = typeof trap === "string" ? trap : Array.isArray(trap) ? trap.join("") : null;
  const honeypot = [data.honeypot, posted]
    .filter((v): v is string => typeof v === "string" && v !== "")
    .join("");
  return { fields, honeypot: honeypot === "" ? null : honeypot };
}

/** The edge's verdict when it verified the token; else ours, now (a missing secret fails, as Turnstile would). */
async function turnstileVerdict(data: CaptureData, secret: string | null): Promise<TurnstileVerdict> {
  if (data.turnstile.verdict) return { verdict: data.turnstile.verdict, codes: data.turnstile.codes };
  if (!secret) return { verdict: "failed", codes: ["missing-input-secret"] };
  return verifyTurnstile(secret, data.turnstile.token, { ip: data.ip, idempotencyKey: data.submissionId });
}

/** The lead was written, but telling the rest of the system failed: redelivery of the message sends it again. */
export class AnnounceError extends Error {
  override name = "AnnounceError";
}

/**
 * Tells scoring, assignment and workflows that a lead came in. Keyed by the submission, so sending it again
 * after a failure (the message is redelivered and finds the row processed) is harmless.
 */
async function announce(
  services: ConsumerServices,
  data: CaptureData,
  contactId: string,
  dealId: string | null,
) {
  const event = {
    id: `${FORM_SUBMITTED_EVENT}:${data.submissionId}`,
    type: FORM_SUBMITTED_EVENT,
    createdAt: Date.now(),
    data: {
      formId: data.formId,
      submissionId: data.submissionId,
      contactId,
      dealId,
      receivedAt: data.receivedAt,
      utm: data.utm,
    },
  };
  try {
    await services.queues.events.send(event);
  } catch (error) {
    throw new AnnounceError(`The ${event.id} event was not sent: ${String(error)}`, { cause: error });
  }
}
