// Outgoing webhooks' API: subscriptions and the event catalogue, and the delivery log with its replays.
import { createRouter } from "../../app.ts";
import { webhookDeliveryRoutes } from "./delivery-routes.ts";
import { webhookSubscriptionRoutes } from "./routes.ts";

export const outgoingWebhookRoutes = createRouter()
  .route("/", webhookSubscriptionRoutes)
  .route("/", webhookDeliveryRoutes);
