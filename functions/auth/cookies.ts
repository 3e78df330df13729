// The SPA's session cookies: HttpOnly, Secure, SameSite; the refresh token is sent only to the auth routes.
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "../env.ts";
import { ACCESS_TOKEN_TTL_SECONDS } from "./tokens.ts";

export const ACCESS_COOKIE = "crm_access";
export const REFRESH_COOKIE = "crm_refresh";
const REFRESH_PATH = "/api/v1/auth";

function secure(c: Context<AppEnv>): boolean {
  // Browsers drop Secure cookies over plain http except on localhost; local dev is http on 127.0.0.1.
  return new URL(c.req.url).protocol === "https:" || c.get("config").ENVIRONMENT === "production";
}

export function setSessionCookies(
  c: Context<AppEnv>,
  tokens: { accessToken: string; refreshToken: string; refreshExpiresAt: number },
) {
  setCookie(c, ACCESS_COOKIE, tokens.accessToken, {
    httpOnly: true,
    secure: secure(c),
    sameSite: "Lax",
    path: "/",
    maxAge: ACCESS_TOKEN_TTL_SECONDS,
  });
  setCookie(c, REFRESH_COOKIE, tokens.refreshToken, {
    httpOnly: true,
    secure: secure(c),
    sameSite: "Strict",
    path: REFRESH_PATH,
    expires: new Date(tokens.refreshExpiresAt),
  });
}

export function clearSessionCookies(c: Context<AppEnv>) {
  deleteCookie(c, ACCESS_COOKIE, { path: "/", secure: secure(c) });
  deleteCookie(c, REFRESH_COOKIE, { path: REFRESH_PATH, secure: secure(c) });
}

export function readCookie(c: Context<AppEnv>, name: string): string | undefined {
  return getCookie(c, name);
}
