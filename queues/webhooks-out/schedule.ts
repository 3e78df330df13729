// When a failed delivery is tried again: the Standard Webhooks schedule (immediately, then 5 s, 5 min, 30 min,
// 2 h, 5 h, 10 h and 10 h), carried on at 10 and 12 hours so that a receiver down over a long weekend still gets
// its events: twelve attempts over about three days (71.6 hours), longer when the receiver's Retry-After asks.
// Each delay is stretched or shrunk by up to a tenth so that receivers coming back from an outage are not hit by
// every retry at the same instant.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** The delay before each retry: RETRY_DELAYS_MS[n - 1] follows the n-th failed attempt. */
export const RETRY_DELAYS_MS: readonly number[] = [
  5 * SECOND,
  5 * MINUTE,
  30 * MINUTE,
  2 * HOUR,
  5 * HOUR,
  10 * HOUR,
  10 * HOUR,
  10 * HOUR,
  10 * HOUR,
  12 * HOUR,
  12 * HOUR,
];

/** The first attempt and one per retry. */
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;

const JITTER = 0.1;
/** A receiver's Retry-After is honoured up to a day; a longer one is taken as a day. */
export const MAX_RETRY_AFTER_MS = 24 * HOUR;

/**
 * The delay after `attempts` failed attempts, or null when the schedule is used up. A Retry-After longer than
 * the schedule's delay replaces it: the receiver said when it can take more.
 */
export function retryDelayMs(
  attempts: number,
  retryAfterMs: number | null = null,
  random: () => number = Math.random,
): number | null {
  if (attempts >= MAX_ATTEMPTS) return null;
  const base = RETRY_DELAYS_MS[Math.max(0, attempts - 1)] ?? 0;
  const jittered = Math.round(base * (1 - JITTER + 2 * JITTER * random()));
  return Math.max(jittered, Math.min(retryAfterMs ?? 0, MAX_RETRY_AFTER_MS));
}

/** A Retry-After header in milliseconds from `now`: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (value === null) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * SECOND;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
