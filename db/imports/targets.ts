// What a CSV column can be mapped to, per object: the record's own fields, references (company, owner,
// pipeline and stage, contact) read by name or email, and custom fields (`custom.<key>`, checked against the
// definitions in db/custom-fields.ts). A mapping is checked as a whole before a run starts.
import type { CustomFieldDefinition } from "../custom-fields.ts";
import type { IMPORT_OBJECTS } from "../schema/index.ts";
import { foldSearchText } from "../search-text.ts";

export type ImportObject = (typeof IMPORT_OBJECTS)[number];

export const TARGETS: Record<ImportObject, readonly string[]> = {
  contact: [
    "id",
    "name",
    "firstName",
    "lastName",
    "email",
    "emails",
    "phone",
    "phones",
    "jobTitle",
    "address",
    "lifecycleStage",
    "leadStatus",
    "source",
    "company",
    "owner",
    "tags",
  ],
  company: ["id", "name", "domain", "industry", "size", "country", "owner"],
  deal: [
    "id",
    "name",
    "amount",
    "currency",
    "pipeline",
    "stage",
    "expectedCloseDate",
    "company",
    "contact",
    "owner",
  ],
};

/** Header names (folded, without spaces or punctuation) that suggest a target. */
const ALIASES: Record<string, string> = {
  fullname: "name",
  contactname: "name",
  companyname: "company",
  organization: "company",
  organisation: "company",
  account: "company",
  website: "domain",
  emailaddress: "email",
  mail: "email",
  phonenumber: "phone",
  mobile: "phone",
  mobilephone: "phone",
  tel: "phone",
  title: "jobTitle",
  position: "jobTitle",
  lifecycle: "lifecycleStage",
  stage: "stage",
  dealname: "name",
  value: "amount",
  closedate: "expectedCloseDate",
  contactemail: "contact",
  owneremail: "owner",
  ten: "name",
  hoten: "name",
  congty: "company",
  dienthoai: "phone",
  sodienthoai: "phone",
  chucvu: "jobTitle",
  diachi: "address",
};

const squash = (text: string) => foldSearchText(text).replace(/[^a-z0-9]/g, "");

export type Mapping = Record<string, string | null>;

/**
 * A mapping to start from: the one remembered for the source (for the columns this file has), then each other
 * column matched by name to a field or a custom field's key or label.
 */
export function suggestMapping(
  object: ImportObject,
  columns: readonly string[],
  remembered: Mapping | null,
  definitions: readonly CustomFieldDefinition[],
): Mapping {
  const live = definitions.filter((d) => d.archivedAt === null && d.object === object);
  const byName = new Map<string, string>();
  for (const target of TARGETS[object]) byName.set(squash(target), target);
  for (const [alias, target] of Object.entries(ALIASES)) {
    if (TARGETS[object].includes(target) && !byName.has(alias)) byName.set(alias, target);
  }
  if (object === "contact") byName.set("stage", "lifecycleStage");
  for (const d of live) {
    byName.set(squash(d.key), `custom.${d.key}`);
    byName.set(squash(d.label), `custom.${d.key}`);
  }
  const out: Mapping = {};
  const used = new Set<string>();
  for (const column of columns) {
    const kept = remembered?.[column];
    if (kept !== undefined && (kept === null || isTarget(object, kept, live))) {
      out[column] = kept;
      if (kept) used.add(kept);
    }
  }
  for (const column of columns) {
    if (column in out) continue;
    const target = byName.get(squash(column)) ?? null;
    out[column] = target && !used.has(target) ? target : null;
    if (out[column]) used.add(target as string);
  }
  return out;
}

function isTarget(object: ImportObject, target: string, live: readonly CustomFieldDefinition[]): boolean {
  if (target.startsWith("custom.")) return live.some((d) => `custom.${d.key}` === target);
  return TARGETS[object].includes(target);
}

export interface MappingError {
  path: string;
  message: string;
}

/**
 * The mapping's problems: unknown targets, a target used twice, a required field missing; and, when given,
 * columns the file does not have and custom fields that do not exist (else the database checks those, in the
 * batch that starts the run, against the import's own header and the current definitions).
 */
export function checkMapping(
  object: ImportObject,
  mapping: Mapping,
  known: { columns?: readonly string[]; definitions?: readonly CustomFieldDefinition[] } = {},
): MappingError[] {
  const errors: MappingError[] = [];
  const live = known.definitions?.filter((d) => d.archivedAt === null && d.object === object);
  const used = new Map<string, string>();
  for (const [column, target] of Object.entries(mapping)) {
    const path = `mapping.${column}`;
    if (known.columns && !known.columns.includes(column)) {
      errors.push({ path, message: "The file has no such column." });
      continue;
    }
    if (target === null || target === "") continue;
    const customKey = /^custom\.([A-Za-z0-9_]{1,64})$/.test(target);
    if (live ? !isTarget(object, target, live) : !customKey && !TARGETS[object].includes(target)) {
      errors.push({
        path,
        message: target.startsWith("custom.")
          ? `No custom field "${target.slice(7)}" on ${object}s.`
          : `Not a ${object} field: use one of ${TARGETS[object].join(", ")} or custom.<key>.`,
      });
      continue;
    }
    const other = used.get(target);
    if (other !== undefined)
      errors.push({ path, message: `Column "${other}" is already mapped to ${target}.` });
    used.set(target, column);
  }
  const has = (...targets: string[]) => targets.some((target) => used.has(target));
  if (object === "contact" && !has("id", "name", "firstName", "lastName", "email")) {
    errors.push({ path: "mapping", message: "Map a column to name, firstName, lastName or email." });
  }
  if (object === "company" && !has("id", "name", "domain")) {
    errors.push({ path: "mapping", message: "Map a column to name or domain." });
  }
  if (object === "deal" && !has("id", "name")) {
    errors.push({ path: "mapping", message: "Map a column to name." });
  }
  return errors;
}

/** The mapping as column positions: target → index of its column. */
export function columnIndex(columns: readonly string[], mapping: Mapping): Map<string, number> {
  const index = new Map<string, number>();
  for (const [column, target] of Object.entries(mapping)) {
    const at = columns.indexOf(column);
    if (target && at >= 0) index.set(target, at);
  }
  return index;
}
