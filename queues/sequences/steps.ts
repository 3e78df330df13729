// A sequence's steps: what a manager writes (checked here; 422 on anything else) and the runner reads. Each
// step waits a number of business days, counted in the contact owner's time zone (queues/sequences/schedule.ts),
// then sends an email template or makes a task for the owner.
import { z } from "@hono/zod-openapi";
import { TEMPLATE_LANGUAGES } from "../../db/schema/content.ts";

const Delay = z
  .number()
  .int()
  .min(0)
  .max(365)
  .openapi({
    description:
      "Business days (Monday to Friday, in the contact owner's time zone) to wait after the previous step (the " +
      "first step: after enrolment). 0 runs the step at once (within a minute); 1 or more runs it at 09:00 " +
      "owner-local time on that business day.",
    example: 2,
  });

export const EmailStepSchema = z
  .strictObject({
    type: z.literal("email"),
    delayDays: Delay,
    templateId: z
      .string()
      .min(1)
      .max(64)
      .openapi({ description: "An email template (/api/v1/email-templates)." }),
    lang: z.enum(TEMPLATE_LANGUAGES).default("en").openapi({
      description: "The template's variant; English when the template has none in this language.",
    }),
  })
  .openapi("SequenceEmailStep", {
    description:
      "Sends the template to the contact, as POST /api/v1/contacts/{id}/emails does: a marketing template only " +
      "with the contact's email consent. When the email cannot go (no address, no consent, template deleted) " +
      "the step is skipped and the sequence goes on; a contact who unsubscribed leaves the sequence.",
  });

export const TaskStepSchema = z
  .strictObject({
    type: z.literal("task"),
    delayDays: Delay,
    title: z.string().trim().min(1).max(300),
    notes: z.string().max(10_000).optional(),
    priority: z.enum(["low", "normal", "high"]).default("normal"),
    dueInDays: z
      .number()
      .int()
      .min(0)
      .max(60)
      .default(0)
      .openapi({
        description:
          "The task is due at 17:00 owner-local time this many business days after the step runs (0: the same " +
          "business day, or the next one when 17:00 has passed).",
      }),
  })
  .openapi("SequenceTaskStep", { description: "Makes a task for the contact's owner, on the contact." });

export const SequenceStepSchema = z.discriminatedUnion("type", [EmailStepSchema, TaskStepSchema]);
export type SequenceStep = z.infer<typeof SequenceStepSchema>;
export type EmailStep = z.infer<typeof EmailStepSchema>;
export type TaskStep = z.infer<typeof TaskStepSchema>;

export const StepsSchema = z.array(SequenceStepSchema).min(1).max(50);

/** The stored steps, or null when they no longer parse (the runner then leaves the enrolments waiting). */
export function parseSteps(json: string): SequenceStep[] | null {
  try {
    const parsed = StepsSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
