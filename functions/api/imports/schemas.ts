// The imports API's shapes: an import with its progress, the mapping a run takes, a page of row issues.
import { z } from "@hono/zod-openapi";
import { IMPORT_OBJECTS, IMPORT_STATUSES } from "../../../db/schema/index.ts";

const Mapping = z
  .record(z.string().max(200), z.string().max(80).nullable())
  .refine((m) => Object.keys(m).length <= 500, "At most 500 columns.")
  .openapi({
    description:
      "CSV column → target: a field (`email`, `firstName`, `company`, `owner`, …) or `custom.<key>`; null leaves the column out.",
    example: { "E-mail": "email", Name: "name", Budget: "custom.budget", Notes: null },
  });

export const ImportCreate = z
  .strictObject({
    object: z.enum(IMPORT_OBJECTS),
    sourceName: z.string().trim().min(1).max(200).openapi({
      description:
        "Where files like this come from (e.g. `HubSpot export`): the mapping is remembered under it.",
    }),
    fileName: z.string().trim().max(300).optional(),
  })
  .openapi("ImportCreate");

export const RunRequest = z.strictObject({ mapping: Mapping }).openapi("ImportRun");

export const PartQuery = z.object({
  part: z.coerce
    .number()
    .int()
    .min(0)
    .max(9_999)
    .openapi({ description: "The part's number, from 0, in file order." }),
});

const Counts = z.object({
  rowsDone: z.number().int(),
  created: z.number().int().openapi({ description: "Rows that made a record (would make, on a dry run)." }),
  updated: z.number().int().openapi({
    description:
      "Rows that matched an existing record (by id, email, phone or domain); one already as the row says is left untouched.",
  }),
  skipped: z.number().int().openapi({ description: "Blank rows, and people erased on request." }),
  errors: z.number().int().openapi({ description: "Rows refused, each with its reasons (GET …/issues)." }),
});

export const ImportSchema = z
  .object({
    id: z.string(),
    object: z.enum(IMPORT_OBJECTS),
    status: z.enum(IMPORT_STATUSES),
    sourceName: z.string(),
    fileName: z.string().nullable(),
    createdBy: z.string(),
    parts: z.number().int(),
    bytes: z.number().int(),
    columns: z
      .array(z.string())
      .nullable()
      .openapi({ description: "The header row, once part 0 is uploaded." }),
    preview: z.array(z.array(z.string())).openapi({ description: "The first data rows." }),
    mapping: z.record(z.string(), z.string().nullable()).nullable(),
    suggestedMapping: z.record(z.string(), z.string().nullable()).nullable().openapi({
      description: "The mapping remembered for this source, the rest matched by column name.",
    }),
    dryRun: z
      .boolean()
      .openapi({ description: "The current or last run was a dry run: nothing was written." }),
    run: z.number().int(),
    progress: z.number().openapi({ description: "Share of the file read by the current run, 0 to 1." }),
    ...Counts.shape,
    undo: z.object({ reverted: z.number().int(), removed: z.number().int() }),
    failure: z.string().nullable(),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
    startedAt: z.number().int().nullable(),
    finishedAt: z.number().int().nullable(),
    undoneAt: z.number().int().nullable(),
  })
  .openapi("Import");

export const ImportPage = z
  .object({ items: z.array(ImportSchema), nextCursor: z.string().nullable() })
  .openapi("ImportPage");

export const IssuesQuery = z.object({
  kind: z.enum(["error", "skipped"]).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .openapi({ description: "nextCursor of the previous page" }),
});

export const IssuePage = z
  .object({
    items: z.array(
      z.object({
        row: z.number().int().openapi({ description: "The row's number among the data rows, from 1." }),
        kind: z.enum(["error", "skipped"]),
        reasons: z.array(z.object({ path: z.string(), message: z.string() })),
        cells: z.array(z.string()),
      }),
    ),
    nextCursor: z.number().int().nullable(),
  })
  .openapi("ImportIssuePage");
