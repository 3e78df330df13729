// Erasure on the events queue: read the request and the contact's emails and phones, hash them for the
// suppression list, and erase in one batch guarded on the request still pending (a redelivery does nothing).
import { z } from "zod";
import { guardVerdict } from "../../db/access.ts";
import { erasureReadQuery, erasureStatements } from "../../db/privacy/requests.ts";
import { suppressionHashes } from "../../db/privacy/suppression.ts";
import type { ConsumerServices, MessageHandlers } from "../consume.ts";
import { requestDispatch } from "../domain-events/dispatch.ts";
import type { QueueMessage } from "../message.ts";

export const PRIVACY_ERASE = "privacy.erase";
const EraseSchema = z.object({ requestId: z.string().min(1).max(64) });

export function eraseMessage(requestId: string, now: number): QueueMessage {
  return { id: `${PRIVACY_ERASE}:${requestId}`, type: PRIVACY_ERASE, createdAt: now, data: { requestId } };
}

export async function runErasure(
  services: ConsumerServices,
  requestId: string,
  now: number,
): Promise<"erased" | "already"> {
  const { db } = services;
  const [rows] = await db.batch([erasureReadQuery(db, requestId)]);
  const request = rows[0];
  if (request?.status !== "pending") return "already";
  const parse = (json: string | null) => (json ? (JSON.parse(json) as string[]) : []);
  const hashes = await suppressionHashes({ emails: parse(request.emails), phones: parse(request.phones) });
  const [first, ...rest] = erasureStatements(db, { id: requestId, ...request }, hashes, now);
  try {
    if (first) await db.batch([first, ...rest]);
  } catch (error) {
    // Erased by another delivery meanwhile, or the contact changed after the read: the next delivery reads again.
    if (guardVerdict(error) === "conflict")
      throw new Error("The erasure's guard refused: it is retried.", { cause: error });
    throw error;
  }
  await requestDispatch(services.queues.events).catch(() => undefined);
  return "erased";
}

export function privacyHandlers(clock: () => number = Date.now): MessageHandlers {
  return {
    [PRIVACY_ERASE]: async (message, services) => {
      await runErasure(services, EraseSchema.parse(message.data).requestId, clock());
    },
  };
}
