// The one rule set of form input (functions/forms/field-rules.ts) and the server's zod schema derived from a
// form, which wraps it: each type's checks, normalised values, and the error codes both sides show.
import { describe, expect, it } from "vitest";
import { checkValues, submissionValuesSchema } from "../../functions/forms/definition.ts";
import {
  checkFieldValue,
  ERROR_CODES,
  LANGUAGES,
  MESSAGES,
  type PublicField,
} from "../../functions/forms/field-rules.ts";

const field = (type: PublicField["type"], extra: Partial<PublicField> = {}): PublicField => ({
  key: "k",
  type,
  label: { en: "K" },
  required: false,
  ...extra,
});
const options = [
  { value: "a", label: { en: "A" } },
  { value: "b", label: { en: "B" } },
];

describe("field rules", () => {
  it("checks each type and gives its value back normalised", () => {
    expect(checkFieldValue(field("text"), "  Lan  ")).toEqual({ ok: true, value: "Lan" });
    expect(checkFieldValue(field("text", { maxLength: 3 }), "abcd")).toEqual({ ok: false, code: "too_long" });
    expect(checkFieldValue(field("text", { maxLength: 99_999 }), "x".repeat(201))).toEqual({
      ok: false,
      code: "too_long",
    });
    expect(checkFieldValue(field("email"), "an@example.vn")).toEqual({ ok: true, value: "an@example.vn" });
    for (const bad of ["an", "an@", "an@example", "a b@example.vn", "an@example..vn"]) {
      expect(checkFieldValue(field("email"), bad)).toEqual({ ok: false, code: "invalid_email" });
    }
    expect(checkFieldValue(field("phone"), "+84 (912) 345-678")).toMatchObject({ ok: true });
    expect(checkFieldValue(field("phone"), "call me")).toEqual({ ok: false, code: "invalid_phone" });
    expect(checkFieldValue(field("number", { min: 1, max: 10 }), "2,5")).toEqual({ ok: true, value: 2.5 });
    expect(checkFieldValue(field("number", { min: 1, max: 10 }), 11)).toEqual({
      ok: false,
      code: "out_of_range",
    });
    expect(checkFieldValue(field("number"), "ten")).toEqual({ ok: false, code: "invalid_number" });
    expect(checkFieldValue(field("select", { options }), "b")).toEqual({ ok: true, value: "b" });
    expect(checkFieldValue(field("select", { options }), "c")).toEqual({ ok: false, code: "invalid_option" });
    expect(checkFieldValue(field("multiselect", { options }), ["b", "a", "b"])).toEqual({
      ok: true,
      value: ["b", "a"],
    });
    expect(checkFieldValue(field("multiselect", { options }), "a")).toEqual({ ok: true, value: ["a"] });
    expect(checkFieldValue(field("multiselect", { options }), ["a", "z"])).toEqual({
      ok: false,
      code: "invalid_option",
    });
    expect(checkFieldValue(field("checkbox"), "on")).toEqual({ ok: true, value: true });
    expect(checkFieldValue(field("checkbox"), undefined)).toEqual({ ok: true, value: false });
    expect(checkFieldValue(field("checkbox", { required: true }), "")).toEqual({
      ok: false,
      code: "required",
    });
    expect(checkFieldValue(field("date"), "2024-02-29")).toEqual({ ok: true, value: "2024-02-29" });
    expect(checkFieldValue(field("date"), "2023-02-29")).toEqual({ ok: false, code: "invalid_date" });
    expect(checkFieldValue(field("url"), "https://example.vn/a?b=c")).toMatchObject({ ok: true });
    expect(checkFieldValue(field("url"), "javascript:alert(1)")).toEqual({ ok: false, code: "invalid_url" });
    expect(checkFieldValue(field("hidden"), ["only"])).toEqual({ ok: true, value: "only" });
  });

  it("leaves an empty optional field out, and refuses an empty required one", () => {
    for (const empty of [undefined, null, "", "   ", []]) {
      expect(checkFieldValue(field("text"), empty)).toEqual({ ok: true, value: undefined });
      expect(checkFieldValue(field("email", { required: true }), empty)).toEqual({
        ok: false,
        code: "required",
      });
    }
    expect(checkFieldValue(field("text", { required: true }), { nested: true })).toEqual({
      ok: false,
      code: "required",
    });
  });

  it("has a message for every code in both languages", () => {
    for (const lang of LANGUAGES) {
      for (const code of ERROR_CODES) expect(MESSAGES[lang][code].length).toBeGreaterThan(0);
    }
  });
});

describe("the server's schema of a form's values", () => {
  const form = {
    fields: [
      field("email", { key: "email", required: true }),
      field("number", { key: "seats", min: 1 }),
      field("text", { key: "note" }),
    ],
    consent: { text: { en: "OK" }, required: true },
  };

  it("is zod wrapping the rules: issues name the field and carry the rule's code", () => {
    const parsed = submissionValuesSchema(form).safeParse({
      fields: { email: "x", seats: "0" },
      consent: false,
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      ["fields.email", "invalid_email"],
      ["fields.seats", "out_of_range"],
      ["consent", "consent_required"],
    ]);
    const ok = submissionValuesSchema(form).safeParse({
      fields: { email: "a@b.vn", seats: "3", extra: "x" },
      consent: "on",
    });
    expect(ok.data).toEqual({ email: "a@b.vn", seats: 3 });
  });

  it("gives the field errors, and the values that passed, to the edge and the consumer", () => {
    expect(checkValues(form, { email: "a@b.vn", seats: "x", note: " hi " }, true)).toEqual({
      values: { email: "a@b.vn", note: "hi" },
      errors: [{ field: "seats", code: "invalid_number" }],
    });
  });
});
