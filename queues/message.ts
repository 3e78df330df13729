// The envelope of every queue message: a unique id (the idempotency key), a type, and its data.
import { z } from "zod";

export const QueueMessageSchema = z.object({
  id: z.string().min(1).max(128),
  type: z.string().min(1).max(100),
  createdAt: z.number().int(),
  data: z.unknown(),
});

export type QueueMessage = z.infer<typeof QueueMessageSchema>;

/** The queue names, as in wrangler.toml; each has a dead-letter queue named `<queue>-dlq`. */
export const QUEUES = {
  capture: "crm-capture",
  events: "crm-events",
  outbound: "crm-outbound",
} as const;

export const DEAD_LETTER_SUFFIX = "-dlq";
