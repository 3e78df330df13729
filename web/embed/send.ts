// Posting a submission from the embed: retried on a network error, 429 or 5xx with exponential backoff (or
// the server's Retry-After), always with the same body, so the submission id makes the retries harmless.

const MAX_WAIT_MS = 60_000;

/**
 * How long to wait before attempt `attempt + 1`: what the server's Retry-After says (seconds or a date, at
 * most a minute), else 1s, 2s, 4s, 8s… ±25% so that many visitors cut off at once do not return at once.
 */
export function retryDelay(attempt: number, retryAfter?: string | null, random = Math.random()): number {
  if (retryAfter) {
    const seconds = Number(retryAfter);
    const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(retryAfter) - Date.now();
    if (ms >= 0) return Math.min(ms, MAX_WAIT_MS);
  }
  return Math.min(1000 * 2 ** (attempt - 1), 16_000) * (0.75 + random / 2);
}

export interface SendOptions {
  attempts?: number;
  /** Called before each retry, to tell the visitor. */
  onRetry?: () => void;
  wait?: (ms: number) => Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The last answer (which may be a 429 or 5xx once the attempts are spent); throws when never answered. */
export async function postJson(url: string, body: string, options: SendOptions = {}): Promise<Response> {
  const { attempts = 5, onRetry, wait = sleep } = options;
  for (let attempt = 1; ; attempt++) {
    let response: Response | undefined;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body,
      });
    } catch (error) {
      if (attempt >= attempts) throw error;
    }
    if (response && (attempt >= attempts || (response.status !== 429 && response.status < 500)))
      return response;
    onRetry?.();
    await wait(retryDelay(attempt, response?.headers.get("Retry-After")));
  }
}
