// Request and response shapes of the auth routes.
import { z } from "@hono/zod-openapi";
import { MIN_PASSWORD_LENGTH } from "../../auth/passwords.ts";
import { Locale, Name, TimeZone } from "../users/profile-fields.ts";

export const NewPassword = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `Use at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(256, "Use at most 256 characters")
  .openapi({ example: "a long passphrase of yours" });

export const LoginBody = z
  .object({
    email: z.string().trim().max(320).openapi({ example: "admin@example.com" }),
    password: z.string().min(1).max(256),
    totpCode: z
      .string()
      .trim()
      .max(16)
      .optional()
      .openapi({ description: "The 6-digit code, when 2FA is on" }),
    recoveryCode: z
      .string()
      .trim()
      .max(32)
      .optional()
      .openapi({ description: "Instead of a code: a recovery code" }),
  })
  .openapi("LoginRequest");

export const SessionUser = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    role: z.enum(["admin", "manager", "rep", "read_only"]),
  })
  .openapi("SessionUser");

export const LoginResponse = z
  .object({ user: SessionUser, accessTokenExpiresAt: z.number().int() })
  .openapi("LoginResponse");

export const Me = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    role: z.enum(["admin", "manager", "rep", "read_only"]),
    locale: z.string(),
    timeZone: z.string(),
    totpEnabled: z.boolean(),
    teams: z.array(z.object({ id: z.string(), lead: z.boolean() })),
    via: z.enum(["session", "api_key"]),
  })
  .openapi("Me");

export const ProfilePatch = z
  .strictObject({
    name: Name.optional(),
    locale: Locale.optional().openapi({
      description: "The app's language, and the language of your emails.",
    }),
    timeZone: TimeZone.optional().openapi({
      description: "Your daily digest (08:00), reminders and the sequence steps you own follow it.",
    }),
  })
  .refine((patch) => Object.keys(patch).length > 0, { message: "Send name, locale or timeZone." })
  .openapi("ProfilePatch");

export const ChangePasswordBody = z
  .object({ currentPassword: z.string().min(1).max(256), newPassword: NewPassword })
  .openapi("ChangePasswordRequest");

export const ResetRequestBody = z
  .object({ email: z.string().trim().email().max(320) })
  .openapi("PasswordResetRequest");

export const TokenPasswordBody = z
  .object({ token: z.string().min(16).max(128), newPassword: NewPassword })
  .openapi("TokenPasswordRequest");

export const Message = z.object({ message: z.string() }).openapi("Message");
