// Template variables: {{contact.firstName}}, {{deal.name}}, {{owner.name}} … from a closed list, checked when a
// template is saved. Rendering happens in SQL (db/templates/templates.ts), so that a send reads the contact
// and writes the email in one round trip; an empty variable renders as nothing, HTML bodies get it escaped.

/** Every variable a template may use. */
export const TEMPLATE_VARIABLES = [
  "contact.firstName",
  "contact.lastName",
  "contact.name",
  "contact.email",
  "contact.jobTitle",
  "company.name",
  "company.domain",
  "deal.name",
  "owner.name",
  "owner.email",
] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

const VARIABLE = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The variables a source names that are not in TEMPLATE_VARIABLES. */
export function unknownVariables(source: string): string[] {
  const known = new Set<string>(TEMPLATE_VARIABLES);
  return [...source.matchAll(VARIABLE)].map((match) => match[1] ?? "").filter((name) => !known.has(name));
}

/** `{{ contact.name }}` → `{{contact.name}}`: the stored form, which the SQL renderer replaces literally. */
export function normalizeVariables(source: string): string {
  return source.replace(VARIABLE, (_, name: string) => `{{${name}}}`);
}

/** The plain-text body when the template has none: the HTML without tags. */
export function htmlToText(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<\/p>/gi, "\n\n")
    .replace(/<[^>]*>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .trim();
}
