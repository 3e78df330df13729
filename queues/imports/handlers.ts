// The import engine on the events queue: chunk messages run the next chunk of a run (queues/imports/run.ts),
// undo messages run the next page of an undo. Both are guarded in their batch, so redeliveries are harmless.

import { eq } from "drizzle-orm";
import { guardVerdict } from "../../db/access.ts";
import { undoPageStatements } from "../../db/imports/undo.ts";
import { imports } from "../../db/schema/index.ts";
import type { ConsumerServices, MessageHandlers } from "../consume.ts";
import { requestDispatch } from "../domain-events/dispatch.ts";
import {
  IMPORT_CHUNK,
  IMPORT_UNDO,
  ImportChunkSchema,
  type ImportUndo,
  ImportUndoSchema,
  undoMessage,
} from "./messages.ts";
import { runChunk } from "./run.ts";

export type Clock = () => number;

/** One page of an undo; sends the next page while there is one. Returns where the undo stands. */
export async function runUndoPage(services: ConsumerServices, message: ImportUndo, now: number) {
  const { db } = services;
  let state: { status: string; undoCursor: string | null } | undefined;
  try {
    const results = await db.batch(
      undoPageStatements(db, message.importId, message.cursor, now) as unknown as Parameters<
        typeof db.batch
      >[0],
    );
    state = (results.at(-1) as { status: string; undoCursor: string | null }[])[0];
  } catch (error) {
    if (guardVerdict(error) !== "conflict") throw error;
    // Done before (or not this undo's turn): the page where the undo stands is sent again, guarded as well.
    const [row] = await db
      .select({ status: imports.status, undoCursor: imports.undoCursor })
      .from(imports)
      .where(eq(imports.id, message.importId));
    if (row?.status === "undoing" && row.undoCursor && row.undoCursor !== message.cursor) {
      await services.queues.events.send(
        undoMessage({ importId: message.importId, cursor: row.undoCursor }, now),
      );
    }
    return row;
  }
  if (state?.status === "undoing" && state.undoCursor) {
    await services.queues.events.send(
      undoMessage({ importId: message.importId, cursor: state.undoCursor }, now),
    );
  }
  await requestDispatch(services.queues.events).catch(() => undefined);
  return state;
}

export function importHandlers(clock: Clock = Date.now): MessageHandlers {
  return {
    [IMPORT_CHUNK]: async (message, services) => {
      await runChunk(services, ImportChunkSchema.parse(message.data), clock());
    },
    [IMPORT_UNDO]: async (message, services) => {
      await runUndoPage(services, ImportUndoSchema.parse(message.data), clock());
    },
  };
}
