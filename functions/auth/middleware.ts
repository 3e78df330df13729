// Reads the caller's credentials (bearer API key, bearer or cookie access token) and defends cookie-
// authenticated writes against cross-site requests. No database here: the principal is read in the
// request's own round trip.
import { createMiddleware } from "hono/factory";
import { API_KEY_PREFIX } from "../../db/api-key-format.ts";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { ACCESS_COOKIE, readCookie } from "./cookies.ts";
import { sha256Hex } from "./secrets.ts";
import { verifyAccessToken } from "./tokens.ts";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
/** The header a cookie-authenticated write must carry; a cross-site form or image cannot set it. */
export const CSRF_HEADER = "X-CRM-Request";

export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  c.set("credentials", null);
  c.set("authProblem", null);
  c.set("viaCookie", false);
  c.set("access", null);
  c.set("authorized", false);

  const header = c.req.header("Authorization");
  const bearer = header?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (header !== undefined && !bearer) c.set("authProblem", "invalid");
  const token = bearer ?? readCookie(c, ACCESS_COOKIE);
  if (token) {
    if (bearer?.startsWith(API_KEY_PREFIX)) {
      c.set("credentials", { kind: "api_key", keyHash: await sha256Hex(bearer) });
    } else {
      const result = await verifyAccessToken(token, c.get("config").SESSION_SIGNING_KEYS);
      if (result.ok) {
        c.set("credentials", {
          kind: "session",
          userId: result.claims.userId,
          sessionId: result.claims.sessionId,
        });
        c.set("viaCookie", !bearer);
      } else {
        c.set("authProblem", result.reason);
      }
    }
  }
  await next();
});

/**
 * Cross-site request defence for writes that ride on the session cookie: Fetch Metadata when the browser
 * sends it, and a custom header in every case (setting one forces a CORS preflight we never grant).
 */
export const csrfProtection = createMiddleware<AppEnv>(async (c, next) => {
  if (SAFE_METHODS.has(c.req.method) || !c.get("viaCookie")) return next();
  const site = c.req.header("Sec-Fetch-Site");
  if (site !== undefined && site !== "same-origin" && site !== "none") {
    throw new ApiError("forbidden", `Cross-site request refused (Sec-Fetch-Site: ${site}).`);
  }
  if (!c.req.header(CSRF_HEADER)) {
    throw new ApiError(
      "forbidden",
      `A write authenticated by the session cookie must carry the ${CSRF_HEADER} header (the web app sends it).`,
    );
  }
  await next();
});
