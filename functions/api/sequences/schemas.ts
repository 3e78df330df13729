// The zod schemas of the sequences API: a sequence with its steps, writes, enrolment and unenrolment requests
// with a result per contact, and enrolments with their state and the steps that ran.
import { z } from "@hono/zod-openapi";
import { ENROLMENT_STATUSES, STOP_REASONS } from "../../../db/schema/index.ts";
import { SequenceStepSchema, StepsSchema } from "../../../queues/sequences/steps.ts";
import { pageQuery } from "../../openapi.ts";
import { Id } from "../contacts/schemas.ts";

const Name = z.string().trim().min(1).max(200);
const Steps = StepsSchema.openapi({
  description:
    "1 to 50 steps, run in order. Each waits its `delayDays` business days (Monday to Friday in the contact " +
    "owner's time zone; the organisation's when the contact has no owner) after the previous one, then runs at " +
    "09:00 owner-local time; a delay of 0 runs at once.",
});

export const SequenceCreate = z
  .strictObject({ name: Name, steps: Steps, enabled: z.boolean().default(true) })
  .openapi("SequenceCreate");

export const SequencePatch = z
  .strictObject({
    name: Name.optional(),
    steps: Steps.optional(),
    enabled: z.boolean().optional().openapi({
      description:
        "Disabling pauses every enrolment; enabling resumes them, running steps that came due meanwhile.",
    }),
  })
  .openapi("SequencePatch", {
    description: "Edited steps apply to contacts already enrolled from their next step on.",
  });

export const SequenceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    steps: z.array(SequenceStepSchema),
    enabled: z.boolean(),
    activeEnrolments: z.number().int(),
    version: z.number().int(),
    createdBy: z.string().nullable(),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
  })
  .openapi("Sequence");

export const SequencePage = z
  .object({ items: z.array(SequenceSchema), nextCursor: z.string().nullable() })
  .openapi("SequencePage");

export const SequenceListQuery = z.object(pageQuery());

const ContactIds = z
  .strictObject({ contactIds: z.array(Id).min(1).max(100) })
  .openapi("SequenceContactIds", { description: "1 to 100 contact ids; each gets its own result." });
export const EnrolRequest = ContactIds;
export const UnenrolRequest = ContactIds;

export const EnrolResponse = z
  .object({
    results: z.array(
      z.object({
        contactId: z.string(),
        status: z.enum(["enrolled", "already_enrolled", "not_found"]).openapi({
          description:
            "not_found: no such contact, deleted, or not visible to the caller. already_enrolled: the contact " +
            "is in the sequence now (enrolmentId is that enrolment); a contact is in a sequence once at a time.",
        }),
        enrolmentId: z.string().optional(),
      }),
    ),
    counts: z.object({
      enrolled: z.number().int(),
      already_enrolled: z.number().int(),
      not_found: z.number().int(),
    }),
  })
  .openapi("SequenceEnrolResponse");

export const UnenrolResponse = z
  .object({
    results: z.array(
      z.object({
        contactId: z.string(),
        status: z.enum(["unenrolled", "not_enrolled", "not_found"]),
        enrolmentId: z.string().optional(),
      }),
    ),
    counts: z.object({
      unenrolled: z.number().int(),
      not_enrolled: z.number().int(),
      not_found: z.number().int(),
    }),
  })
  .openapi("SequenceUnenrolResponse");

const StepRun = z.object({
  step: z.number().int().openapi({ description: "The step's index, from 0." }),
  type: z.enum(["email", "task"]),
  outcome: z.enum(["sent", "created", "skipped", "pending"]),
  detail: z.string().nullable().openapi({ description: "Why an email step was skipped." }),
  outboxId: z.string().nullable(),
  taskId: z.string().nullable(),
  ranAt: z.number().int(),
});

export const EnrolmentSchema = z
  .object({
    id: z.string(),
    sequenceId: z.string(),
    sequenceName: z.string(),
    contactId: z.string(),
    contactName: z.string(),
    status: z.enum(ENROLMENT_STATUSES),
    currentStep: z.number().int().openapi({ description: "The index of the next step to run." }),
    totalSteps: z.number().int(),
    nextStepAt: z
      .number()
      .int()
      .nullable()
      .openapi({
        description:
          "When the next step is due (epoch ms): 09:00 owner-local on its business day. Null when the enrolment " +
          "is finished or its sequence is disabled.",
      }),
    enrolledAt: z.number().int(),
    enrolledBy: z.string().nullable().openapi({ description: "The user; null when a workflow enrolled." }),
    stoppedAt: z.number().int().nullable(),
    stopReason: z.enum(STOP_REASONS).nullable(),
    completedAt: z.number().int().nullable(),
    steps: z.array(StepRun).openapi({ description: "The steps that ran, in order." }),
  })
  .openapi("SequenceEnrolment");

export const EnrolmentPage = z
  .object({ items: z.array(EnrolmentSchema), nextCursor: z.string().nullable() })
  .openapi("SequenceEnrolmentPage");

export const EnrolmentListQuery = z.object({
  ...pageQuery(),
  status: z.enum(ENROLMENT_STATUSES).optional(),
});
