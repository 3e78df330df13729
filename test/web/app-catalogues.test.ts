// The web app's two catalogues say the same things: the same keys, and in each message the same {placeholders}
// (a translation that drops or renames one would show a raw "{name}" or lose a value).
import { describe, expect, it } from "vitest";
import { en } from "../../web/src/i18n/en.ts";
import { vi } from "../../web/src/i18n/vi.ts";

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();

describe("the English and Vietnamese catalogues", () => {
  it("have the same keys", () => {
    expect(Object.keys(vi).sort()).toEqual(Object.keys(en).sort());
  });

  it("fill in the same values in each message, and leave none empty", () => {
    for (const [key, text] of Object.entries(en)) {
      const translated = vi[key as keyof typeof en];
      expect({ key, placeholders: placeholders(translated) }).toEqual({
        key,
        placeholders: placeholders(text),
      });
      expect(translated.trim(), key).not.toBe("");
    }
  });
});
