// Per-person reports: activity counts and speed to lead, per rep. One round trip each.
import { activitiesQuery, activitiesView, slaQuery, slaView } from "../../../db/reports/people.ts";
import { defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import { answerReport, readReport, reportContent } from "./respond.ts";
import { READ, tags } from "./routes.ts";
import { ActivitiesView, ReportQuery, SlaView } from "./schemas.ts";

const PEOPLE_NOTE =
  "A caller sees their own figures, and those of the members of the teams whose records they may see " +
  "(managers their teams'; reps when the organisation allows it); admins everyone's. `ownerId` picks one " +
  "person, `teamId` a team's members.";

const activitiesRoute = defineRoute({
  method: "get",
  path: "/api/v1/reports/activities",
  tags,
  summary: "Calls, emails, meetings and notes logged per rep",
  description: `Activities a person logged in the period (by when they happened), per type. ${PEOPLE_NOTE}`,
  access: READ,
  request: { query: ReportQuery },
  responses: { 200: reportContent(ActivitiesView, "Per rep") },
});

const slaRoute = defineRoute({
  method: "get",
  path: "/api/v1/reports/sla",
  tags,
  summary: "Speed to lead per rep: first-response clocks started in the period",
  description:
    "Of the first-response clocks started in the period, per clock owner: started, answered, answered " +
    "within the SLA, breached; share within SLA = within ÷ answered; mean response = Σ response time ÷ " +
    `answered. ${PEOPLE_NOTE}`,
  access: READ,
  request: { query: ReportQuery },
  responses: { 200: reportContent(SlaView, "Per rep") },
});

export const peopleReportRoutes = createRouter()
  .openapi(activitiesRoute, async (c) => {
    const query = c.req.valid("query");
    const {
      meta,
      results: [rows],
    } = await readReport(c, query, (db, scope) => [activitiesQuery(db, scope)] as const);
    const view = { ...meta, reps: activitiesView(rows) };
    return answerReport(c, query.format, view, {
      name: "activities",
      columns: ["userId", "name", "calls", "emails", "meetings", "notes", "total"],
      rows: view.reps,
    });
  })
  .openapi(slaRoute, async (c) => {
    const query = c.req.valid("query");
    const {
      meta,
      results: [rows],
    } = await readReport(c, query, (db, scope) => [slaQuery(db, scope)] as const);
    const view = { ...meta, reps: slaView(rows) };
    return answerReport(c, query.format, view, {
      name: "sla",
      columns: [
        "userId",
        "name",
        "started",
        "responded",
        "withinSla",
        "breached",
        "shareWithinSla",
        "meanResponseMs",
      ],
      rows: view.reps,
    });
  });
