// The whole database schema, one file per area.
export * from "./system.ts";
