// The whole database schema, one file per area.
export * from "./auth.ts";
export * from "./content.ts";
export * from "./crm.ts";
export * from "./data.ts";
export * from "./events.ts";
export * from "./forms.ts";
export * from "./notifications.ts";
export * from "./reports.ts";
export * from "./routing.ts";
export * from "./scoring.ts";
export * from "./sequences.ts";
export * from "./system.ts";
export * from "./webhooks-in.ts";
export * from "./webhooks-out.ts";
export * from "./workflows.ts";
