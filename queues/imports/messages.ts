// The events-queue messages of imports: one per chunk of rows (the chunk that finishes sends the next), and one
// per page of an undo. Their ids carry the import, the run and the position, so a redelivery is recognised.
import { z } from "zod";
import type { QueueMessage } from "../message.ts";

export const IMPORT_CHUNK = "import.chunk";
export const IMPORT_UNDO = "import.undo";

export const ImportChunkSchema = z.object({
  importId: z.string().min(1).max(64),
  run: z.number().int().min(1),
  chunk: z.number().int().min(0),
});
export type ImportChunk = z.infer<typeof ImportChunkSchema>;

export const ImportUndoSchema = z.object({
  importId: z.string().min(1).max(64),
  /** Where the undo stands (imports.undo_cursor) when this page starts. */
  cursor: z.string().min(1).max(200),
});
export type ImportUndo = z.infer<typeof ImportUndoSchema>;

export function chunkMessage(data: ImportChunk, now: number): QueueMessage {
  return {
    id: `${IMPORT_CHUNK}:${data.importId}:${data.run}:${data.chunk}`,
    type: IMPORT_CHUNK,
    createdAt: now,
    data,
  };
}

export function undoMessage(data: ImportUndo, now: number): QueueMessage {
  return { id: `${IMPORT_UNDO}:${data.importId}:${data.cursor}`, type: IMPORT_UNDO, createdAt: now, data };
}
