// Spam signals of a form submission: the honeypot, the fill time, Cloudflare Turnstile (verified with the
// form's secret, failing closed), the posting origin. Spam is never refused or dropped: the consumer keeps it,
// marked with these reasons, so a false positive can be replayed.
import { originAllowed } from "./definition.ts";

export const TURNSTILE_VERIFY_URL = "https://challenges.cloudflare.com/turnstile/v0/siteverify";
const TURNSTILE_TIMEOUT_MS = 5_000;

export type SpamReason = "honeypot" | "too_fast" | "turnstile" | "origin" | "ip_limit";

export type TurnstileVerdict = { verdict: "passed" | "failed" | "unavailable"; codes: string[] };

/**
 * Asks Turnstile whether the token is good. Anything but a clear yes is a no: a missing token, an error code,
 * or siteverify unreachable or answering nonsense ("unavailable", still spam: the check fails closed).
 */
export async function verifyTurnstile(
  secret: string,
  token: string | null,
  options: { ip: string | null; idempotencyKey: string },
): Promise<TurnstileVerdict> {
  if (!token) return { verdict: "failed", codes: ["missing-input-response"] };
  const body = new URLSearchParams({ secret, response: token, idempotency_key: options.idempotencyKey });
  if (options.ip) body.set("remoteip", options.ip);
  try {
    const response = await fetch(TURNSTILE_VERIFY_URL, {
      method: "POST",
      body,
      signal: AbortSignal.timeout(TURNSTILE_TIMEOUT_MS),
    });
    if (!response.ok) return { verdict: "unavailable", codes: [`http-${response.status}`] };
    const result = (await response.json()) as { success?: unknown; "error-codes"?: unknown };
    const codes = Array.isArray(result["error-codes"])
      ? result["error-codes"].filter((c): c is string => typeof c === "string").slice(0, 20)
      : [];
    return result.success === true ? { verdict: "passed", codes: [] } : { verdict: "failed", codes };
  } catch {
    return { verdict: "unavailable", codes: ["unreachable"] };
  }
}

export interface SpamInput {
  honeypot: string | null;
  renderedAt: number | null;
  receivedAt: number;
  minFillMs: number;
  /** The Origin header of the post, the CRM's own origin, and the origins the form allows. */
  origin: string | null;
  selfOrigin: string;
  allowedOrigins: readonly string[];
  /** Null when the form has no Turnstile keys. */
  turnstile: TurnstileVerdict | null;
}

/**
 * The embed sends its render time by the visitor's clock, which may run ahead of ours: a render time up to this
 * far in the future cannot be judged and passes; further ahead it is made up.
 */
const SKEW_MS = 5 * 60_000;

/** The reasons a submission is spam; empty when it is not. */
export function spamReasons(input: SpamInput): SpamReason[] {
  const reasons: SpamReason[] = [];
  if (input.honeypot !== null && input.honeypot.trim() !== "") reasons.push("honeypot");
  if (input.minFillMs > 0) {
    const elapsed = input.renderedAt === null ? null : input.receivedAt - input.renderedAt;
    const skewed = elapsed !== null && elapsed < 0 && elapsed >= -SKEW_MS;
    if (elapsed === null || (elapsed < input.minFillMs && !skewed)) reasons.push("too_fast");
  }
  if (input.turnstile && input.turnstile.verdict !== "passed") reasons.push("turnstile");
  if (
    input.origin &&
    input.origin !== input.selfOrigin &&
    !originAllowed(input.origin, input.allowedOrigins)
  ) {
    reasons.push("origin");
  }
  return reasons;
}
