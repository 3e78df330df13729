// The browser's check of a submission: valibot over the one rule set (functions/forms/field-rules.ts), so
// the embed refuses exactly what the server would, with the same error codes.
import * as v from "valibot";
import {
  checkFieldValue,
  type ErrorCode,
  type FieldCheck,
  isConsentGiven,
  type PublicForm,
} from "../../functions/forms/field-rules.ts";

/** A schema whose one action is a rule of the set: it normalises the value or reports the rule's code. */
export function ruleSchema(check: (value: unknown) => FieldCheck) {
  return v.pipe(
    v.unknown(),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const result = check(dataset.value);
      if (result.ok) return result.value;
      addIssue({ message: result.code });
      return NEVER;
    }),
  );
}

export type Checked =
  | { ok: true; fields: Record<string, unknown>; consent: boolean }
  | { ok: false; errors: [key: string, code: ErrorCode][] };

/**
 * A checker for a form: given the raw values (strings as a form gives them, lists for multiselects) and the
 * consent box, either the normalised values or every error, in the order of the form.
 */
export function formChecker(form: Pick<PublicForm, "fields" | "consent">) {
  const fields = form.fields.map(
    (field) => [field.key, ruleSchema((value) => checkFieldValue(field, value))] as const,
  );
  const consent = ruleSchema((value) =>
    isConsentGiven(value) || !form.consent?.required
      ? { ok: true, value: isConsentGiven(value) }
      : { ok: false, code: "consent_required" },
  );
  return (input: Record<string, unknown>, consentInput: unknown): Checked => {
    const values: Record<string, unknown> = {};
    const errors: [string, ErrorCode][] = [];
    for (const [key, schema] of fields) {
      const result = v.safeParse(schema, input[key]);
      if (!result.success) errors.push([key, result.issues[0].message as ErrorCode]);
      else if (result.output !== undefined) values[key] = result.output;
    }
    const given = v.safeParse(consent, consentInput);
    if (!given.success) errors.push(["consent", given.issues[0].message as ErrorCode]);
    return errors.length
      ? { ok: false, errors }
      : { ok: true, fields: values, consent: given.output === true };
  };
}
