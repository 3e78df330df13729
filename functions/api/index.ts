// The REST API under /api/v1: every resource router, mounted at the root (routes carry their full paths, so
// the route table and the OpenAPI document show the paths callers use).
import { createRouter } from "../app.ts";
import { activityRoutes } from "./activities/routes.ts";
import { apiKeyRoutes } from "./api-keys/routes.ts";
import { assignmentRoutes } from "./assignment/routes.ts";
import { auditLogRoutes } from "./audit-log/routes.ts";
import { authRoutes } from "./auth/routes.ts";
import { twoFactorRoutes } from "./auth/two-factor-routes.ts";
import { calendarRoutes } from "./calendar/routes.ts";
import { companyRoutes } from "./companies/routes.ts";
import { contact360Routes } from "./contact-360/routes.ts";
import { contactBatchRoutes } from "./contacts/batch-routes.ts";
import { contactRoutes } from "./contacts/routes.ts";
import { customFieldRoutes } from "./custom-fields/routes.ts";
import { deadLetterRoutes } from "./dead-letters/routes.ts";
import { dealRoutes } from "./deals/routes.ts";
import { duplicateRoutes } from "./duplicates/routes.ts";
import { exportRoutes } from "./exports/routes.ts";
import { formRoutes } from "./forms/routes.ts";
import { formSubmissionRoutes } from "./forms/submission-routes.ts";
import { importRoutes } from "./imports/routes.ts";
import { notificationRoutes } from "./notifications/routes.ts";
import { outboxRoutes } from "./outbox/routes.ts";
import { pipelineRoutes } from "./pipelines/routes.ts";
import { privacyRoutes } from "./privacy/routes.ts";
import { reportRoutes } from "./reports/index.ts";
import { scoringRoutes } from "./scoring/routes.ts";
import { searchRoutes } from "./search/routes.ts";
import { sequenceRoutes } from "./sequences/routes.ts";
import { settingsRoutes } from "./settings/routes.ts";
import { slaRoutes } from "./sla/routes.ts";
import { taskRoutes } from "./tasks/routes.ts";
import { teamRoutes } from "./teams/routes.ts";
import { teamWebhookRoutes } from "./teams/webhook-routes.ts";
import { templateRoutes } from "./templates/routes.ts";
import { userRoutes } from "./users/routes.ts";
import { webhookInboxRoutes } from "./webhook-sources/inbox-routes.ts";
import { webhookSourceRoutes } from "./webhook-sources/routes.ts";
import { webhookSecretRoutes } from "./webhook-sources/secret-routes.ts";
import { outgoingWebhookRoutes } from "./webhook-subscriptions/index.ts";
import { workflowRoutes } from "./workflows/routes.ts";
import { workflowRunRoutes } from "./workflows/run-routes.ts";

export const apiRoutes = createRouter()
  .route("/", authRoutes)
  .route("/", twoFactorRoutes)
  .route("/", apiKeyRoutes)
  .route("/", auditLogRoutes)
  .route("/", settingsRoutes)
  .route("/", outboxRoutes)
  .route("/", notificationRoutes)
  .route("/", userRoutes)
  .route("/", teamRoutes)
  .route("/", teamWebhookRoutes)
  .route("/", contactBatchRoutes)
  .route("/", contactRoutes)
  .route("/", companyRoutes)
  .route("/", customFieldRoutes)
  .route("/", contact360Routes)
  .route("/", pipelineRoutes)
  .route("/", dealRoutes)
  .route("/", activityRoutes)
  .route("/", taskRoutes)
  .route("/", formRoutes)
  .route("/", formSubmissionRoutes)
  .route("/", scoringRoutes)
  .route("/", assignmentRoutes)
  .route("/", slaRoutes)
  .route("/", searchRoutes)
  .route("/", calendarRoutes)
  .route("/", templateRoutes)
  .route("/", importRoutes)
  .route("/", exportRoutes)
  .route("/", duplicateRoutes)
  .route("/", privacyRoutes)
  .route("/", outgoingWebhookRoutes)
  .route("/", webhookSourceRoutes)
  .route("/", webhookSecretRoutes)
  .route("/", webhookInboxRoutes)
  .route("/", deadLetterRoutes)
  .route("/", sequenceRoutes)
  .route("/", workflowRoutes)
  .route("/", workflowRunRoutes)
  .route("/", reportRoutes);
