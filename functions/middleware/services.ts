// Per-request services: the checked config and the database client, made once and put on the context.
import { createMiddleware } from "hono/factory";
import { createDb } from "../../db/client.ts";
import { type AppEnv, readConfig } from "../env.ts";

export const services = createMiddleware<AppEnv>(async (c, next) => {
  const config = readConfig(c.env);
  c.set("config", config);
  c.set("db", createDb({ url: config.LIBSQL_URL, authToken: config.LIBSQL_AUTH_TOKEN }));
  await next();
});
