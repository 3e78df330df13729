// The report API under /api/v1/reports: deal, lead and per-person reports, and the campaign costs they use.
import { createRouter } from "../../app.ts";
import { costRoutes } from "./cost-routes.ts";
import { leadReportRoutes } from "./lead-routes.ts";
import { peopleReportRoutes } from "./people-routes.ts";
import { dealReportRoutes } from "./routes.ts";

export const reportRoutes = createRouter()
  .route("/", dealReportRoutes)
  .route("/", leadReportRoutes)
  .route("/", peopleReportRoutes)
  .route("/", costRoutes);
