// The Worker's environment: its bindings, and its string settings checked once with a schema at the boundary.
import { z } from "zod";
import type { Access, Credentials } from "../db/access.ts";
import type { Database } from "../db/client.ts";
import type { BatchClaim } from "../db/idempotency.ts";
import type { QueueMessage } from "../queues/message.ts";
import { parseSigningKeys } from "./auth/tokens.ts";

export interface Env {
  ENVIRONMENT?: string;
  LIBSQL_URL?: string;
  LIBSQL_AUTH_TOKEN?: string;
  PASSWORD_PEPPER?: string;
  SESSION_SIGNING_KEYS?: string;
  CRM_ADMIN_EMAIL?: string;
  CRM_ADMIN_PASSWORD?: string;
  ASSETS?: Fetcher;
  LOGIN_RATE_LIMITER?: RateLimit;
  /** Public form submissions per form, and per form and address (functions/forms/submit.ts). */
  FORM_RATE_LIMITER?: RateLimit;
  FORM_IP_RATE_LIMITER?: RateLimit;
  CAPTURE_QUEUE: Queue<QueueMessage>;
  EVENTS_QUEUE: Queue<QueueMessage>;
  OUTBOUND_QUEUE: Queue<QueueMessage>;
  /** Email delivery (queues/outbound/email.ts): "log" (the default) sends nothing and leaves the outbox as the sink. */
  EMAIL_PROVIDER?: string;
  /** The provider's API key: a secret (`wrangler secret put EMAIL_API_KEY`), never logged. */
  EMAIL_API_KEY?: string;
  EMAIL_FROM?: string;
  /** "true" lets outgoing webhooks reach private and loopback targets: local development and tests only. */
  WEBHOOKS_ALLOW_PRIVATE_TARGETS?: string;
  /** The address the app is served at (https://crm.example.com): links in emails, Slack and Teams point there. */
  APP_URL?: string;
}

const ConfigSchema = z.object({
  ENVIRONMENT: z.enum(["development", "test", "production"]).default("production"),
  LIBSQL_URL: z.url({ protocol: /^(https?|libsql)$/, error: "must be an http(s):// or libsql:// URL" }),
  LIBSQL_AUTH_TOKEN: z.string().min(1).optional(),
  PASSWORD_PEPPER: z.string().min(16, "must be at least 16 characters of random text"),
  EMAIL_PROVIDER: z.enum(["resend", "mailchannels", "log"]).default("log"),
  EMAIL_API_KEY: z.string().min(1).optional(),
  EMAIL_FROM: z.string().min(3).default("CRM <crm@localhost>"),
  APP_URL: z
    .url({ protocol: /^https?$/, error: "must be the http(s):// address the app is served at" })
    .optional(),
  WEBHOOKS_ALLOW_PRIVATE_TARGETS: z
    .enum(["true", "false"])
    .default("false")
    .transform((value) => value === "true"),
  SESSION_SIGNING_KEYS: z.string().transform((value, ctx) => {
    try {
      return parseSigningKeys(value);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: error instanceof Error ? error.message : String(error) });
      return z.NEVER;
    }
  }),
});

export type Config = z.infer<typeof ConfigSchema>;

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    config: Config;
    db: Database;
    /** What the request presented (null: nothing, or something invalid; see authProblem). */
    credentials: Credentials | null;
    authProblem: "expired" | "invalid" | null;
    /** The credentials came from the session cookie, so writes need the CSRF checks. */
    viaCookie: boolean;
    /** What the matched route requires, set by its access middleware. */
    access: Access | null;
    /** The caller passed the route's access check in this request's round trip. */
    authorized: boolean;
    /** The Idempotency-Key claim that the request's first batch carries (functions/middleware/idempotency.ts). */
    idempotencyClaim: BatchClaim | null;
  };
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

// Bindings are fixed for the life of an isolate, so the check runs once per env object, not per request.
const checked = new WeakMap<object, Config>();

export function readConfig(env: Env): Config {
  const cached = checked.get(env);
  if (cached) return cached;
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "env"}: ${issue.message}`);
    throw new ConfigError(
      `The Worker is misconfigured: ${problems.join("; ")}. Set the missing values with \`wrangler secret put\` (see README, Deploy).`,
    );
  }
  checked.set(env, parsed.data);
  return parsed.data;
}
