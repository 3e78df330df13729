// What the import routes share: their tag, who may read and write imports, and an import as the API shows it.
import type { ImportRow } from "../../../db/imports/imports.ts";
import type { Mapping } from "../../../db/imports/targets.ts";

export const tags = ["Imports"];
export const read = { scope: "imports:read", roles: ["admin", "manager"] } as const;
export const write = { scope: "imports:write", roles: ["admin", "manager"], write: true } as const;

export function toImportView(row: ImportRow, suggested: Mapping | null = null) {
  const span = Math.max(1, row.bytes - row.dataStart);
  const done = ["done", "checked", "undoing", "undone"].includes(row.status);
  return {
    id: row.id,
    object: row.object,
    status: row.status,
    sourceName: row.sourceName,
    fileName: row.fileName,
    createdBy: row.createdBy,
    parts: row.parts,
    bytes: row.bytes,
    columns: row.columns ? (JSON.parse(row.columns) as string[]) : null,
    preview: row.preview ? (JSON.parse(row.preview) as string[][]) : [],
    mapping: row.mapping ? (JSON.parse(row.mapping) as Mapping) : null,
    suggestedMapping: suggested,
    dryRun: row.dryRun,
    run: row.run,
    progress: row.run === 0 ? 0 : done ? 1 : Math.min(1, Math.max(0, (row.cursor - row.dataStart) / span)),
    rowsDone: row.rowsDone,
    created: row.created,
    updated: row.updated,
    skipped: row.skipped,
    errors: row.errors,
    undo: { reverted: row.reverted, removed: row.removed },
    failure: row.failure,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    undoneAt: row.undoneAt,
  };
}
