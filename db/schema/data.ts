// Data in and out: CSV imports (the uploaded file in parts, per-row errors, every record an import created or
// changed, so it can be undone), remembered column mappings, exports, duplicate candidates, merges' redirects,
// and data-subject requests with the suppression list that keeps an erased person from coming back.
import { blob, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const IMPORT_OBJECTS = ["contact", "company", "deal"] as const;
/**
 * uploading → (dry_running → checked)* → running → done → undoing → undone; failed when a chunk cannot go on.
 * A dry run and the import itself each are a "run" (imports.run counts them), so a late message of an earlier
 * run is told apart from the current one.
 */
export const IMPORT_STATUSES = [
  "uploading",
  "dry_running",
  "checked",
  "running",
  "done",
  "failed",
  "undoing",
  "undone",
] as const;
export const EXPORT_OBJECTS = ["contacts", "companies", "deals", "tasks"] as const;
export const DUPLICATE_RECORD_TYPES = ["contact", "company"] as const;
export const DUPLICATE_KINDS = ["email", "phone", "name"] as const;
export const DUPLICATE_STATUSES = ["open", "dismissed", "merged"] as const;

export const imports = sqliteTable(
  "imports",
  {
    id: text().primaryKey(),
    object: text({ enum: IMPORT_OBJECTS }).notNull(),
    status: text({ enum: IMPORT_STATUSES }).notNull(),
    /** Where the file comes from (e.g. "HubSpot export"): its mapping is remembered under this name. */
    sourceName: text().notNull(),
    fileName: text(),
    createdBy: text().notNull(),
    /** The header row (JSON array), its delimiter and line break, read when part 0 arrives. */
    columns: text(),
    delimiter: text(),
    newline: text(),
    /** The first data rows (JSON arrays of cells), to show beside the mapping. */
    preview: text(),
    /** Byte offset of the first data row (after a byte-order mark and the header). */
    dataStart: integer().notNull().default(0),
    parts: integer().notNull().default(0),
    bytes: integer().notNull().default(0),
    /** JSON: CSV column → target (`email`, `custom.budget`, …), fixed when a run starts. */
    mapping: text(),
    run: integer().notNull().default(0),
    dryRun: integer({ mode: "boolean" }).notNull().default(false),
    nextChunk: integer().notNull().default(0),
    /** Byte offset in the file where the next chunk starts, and the average row size seen, for its window. */
    cursor: integer().notNull().default(0),
    avgRowBytes: integer().notNull().default(0),
    rowsDone: integer().notNull().default(0),
    created: integer().notNull().default(0),
    updated: integer().notNull().default(0),
    skipped: integer().notNull().default(0),
    errors: integer().notNull().default(0),
    /** Where the undo stands: `<phase>:<last record id>`. */
    undoCursor: text(),
    reverted: integer().notNull().default(0),
    removed: integer().notNull().default(0),
    failure: text(),
    createdAt: integer().notNull(),
    updatedAt: integer().notNull(),
    startedAt: integer(),
    finishedAt: integer(),
    undoneAt: integer(),
  },
  (t) => [
    index("imports_created_by_idx").on(t.createdBy, t.id),
    index("imports_status_idx").on(t.status, t.updatedAt),
  ],
);

/** The file, as uploaded: parts of at most 1 MiB, in order; `start` is fixed when the first run starts. */
export const importParts = sqliteTable(
  "import_parts",
  {
    importId: text()
      .notNull()
      .references(() => imports.id, { onDelete: "cascade" }),
    part: integer().notNull(),
    data: blob({ mode: "buffer" }).notNull(),
    bytes: integer().notNull(),
    start: integer(),
  },
  (t) => [primaryKey({ columns: [t.importId, t.part] })],
);

/** Rows of the current run that were refused (kind error) or left alone (kind skipped), with the reasons. */
export const importRowIssues = sqliteTable(
  "import_row_issues",
  {
    importId: text()
      .notNull()
      .references(() => imports.id, { onDelete: "cascade" }),
    /** The row's number among the data rows, from 1. */
    row: integer().notNull(),
    kind: text({ enum: ["error", "skipped"] }).notNull(),
    /** JSON [{ path, message }]. */
    reasons: text().notNull(),
    /** JSON array of the row's cells as read. */
    cells: text().notNull(),
  },
  (t) => [primaryKey({ columns: [t.importId, t.row] })],
);

/**
 * Every record an import created or changed: `before` holds the changed columns as they were and `after` as the
 * import left them, so undo puts back only what nobody changed since.
 */
export const importChanges = sqliteTable(
  "import_changes",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    importId: text()
      .notNull()
      .references(() => imports.id, { onDelete: "cascade" }),
    chunk: integer().notNull(),
    recordType: text({ enum: IMPORT_OBJECTS }).notNull(),
    recordId: text().notNull(),
    action: text({ enum: ["created", "updated"] }).notNull(),
    before: text(),
    after: text(),
  },
  (t) => [
    index("import_changes_record_idx").on(t.importId, t.recordType, t.action, t.recordId),
    index("import_changes_chunk_idx").on(t.importId, t.chunk),
  ],
);

/** The last mapping used for files from a source, per object. */
export const importMappings = sqliteTable(
  "import_mappings",
  {
    object: text({ enum: IMPORT_OBJECTS }).notNull(),
    sourceName: text().notNull(),
    mapping: text().notNull(),
    updatedBy: text(),
    updatedAt: integer().notNull(),
  },
  (t) => [primaryKey({ columns: [t.object, t.sourceName] })],
);

/** An export asked for (audited): its list and filters; the CSV is made as it is downloaded. */
export const exports = sqliteTable(
  "exports",
  {
    id: text().primaryKey(),
    object: text({ enum: EXPORT_OBJECTS }).notNull(),
    /** JSON: the list's filters and sort, as its query string takes them. */
    filter: text().notNull(),
    createdBy: text().notNull(),
    createdAt: integer().notNull(),
  },
  (t) => [index("exports_created_by_idx").on(t.createdBy, t.id)],
);

/** Normalised keys (email, phone, folded name) of each contact and company, for finding duplicates. */
export const duplicateKeys = sqliteTable(
  "duplicate_keys",
  {
    recordType: text({ enum: DUPLICATE_RECORD_TYPES }).notNull(),
    kind: text({ enum: DUPLICATE_KINDS }).notNull(),
    key: text().notNull(),
    recordId: text().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.recordType, t.kind, t.key, t.recordId] }),
    index("duplicate_keys_record_idx").on(t.recordType, t.recordId),
  ],
);

/** Two records that look like one: the review list. `aId` < `bId`. */
export const duplicatePairs = sqliteTable(
  "duplicate_pairs",
  {
    id: text().primaryKey(),
    recordType: text({ enum: DUPLICATE_RECORD_TYPES }).notNull(),
    aId: text().notNull(),
    bId: text().notNull(),
    /** JSON array of the kinds of key they share. */
    reasons: text().notNull(),
    status: text({ enum: DUPLICATE_STATUSES }).notNull().default("open"),
    resolvedBy: text(),
    createdAt: integer().notNull(),
    updatedAt: integer().notNull(),
  },
  (t) => [
    uniqueIndex("duplicate_pairs_records_idx").on(t.recordType, t.aId, t.bId),
    index("duplicate_pairs_status_idx").on(t.recordType, t.status, t.id),
    index("duplicate_pairs_b_idx").on(t.bId),
  ],
);

/** A merged record's id, answering with a redirect to the record it was merged into. */
export const recordRedirects = sqliteTable(
  "record_redirects",
  {
    oldId: text().primaryKey(),
    recordType: text({ enum: DUPLICATE_RECORD_TYPES }).notNull(),
    newId: text().notNull(),
    createdAt: integer().notNull(),
  },
  (t) => [index("record_redirects_new_idx").on(t.newId)],
);

/** Data-subject requests: erasures run in the background (the contact's values are read to be hashed). */
export const privacyRequests = sqliteTable(
  "privacy_requests",
  {
    id: text().primaryKey(),
    kind: text({ enum: ["erase"] }).notNull(),
    contactId: text().notNull(),
    status: text({ enum: ["pending", "done"] }).notNull(),
    requestedBy: text(),
    reason: text(),
    createdAt: integer().notNull(),
    finishedAt: integer(),
  },
  (t) => [
    index("privacy_requests_status_idx").on(t.status, t.createdAt),
    index("privacy_requests_contact_idx").on(t.contactId),
  ],
);

/**
 * Emails and phones of erased people, as SHA-256 hashes of their normalised form: forms, webhooks and imports
 * do not make a contact for them again, and the values themselves are not kept.
 */
export const suppressions = sqliteTable("suppressions", {
  hash: text().primaryKey(),
  kind: text({ enum: ["email", "phone"] }).notNull(),
  requestId: text(),
  createdAt: integer().notNull(),
});
