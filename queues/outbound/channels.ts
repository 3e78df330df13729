// The wire formats of each channel: an email through a Resend-style or MailChannels-style HTTP API, and a
// message to a Slack or Microsoft Teams incoming webhook. Each send answers what happened, never a secret.
import type { Config } from "../../functions/env.ts";

export interface OutgoingMessage {
  id: string;
  channel: "email" | "slack" | "teams";
  recipient: string;
  subject: string;
  body: string;
  html: string | null;
  link: string | null;
  /** The incoming-webhook URL, for Slack and Teams. */
  webhookUrl: string | null;
}

/** sent: delivered; retry: a 5xx, a 429 or a network error; failed: refused for good (other 4xx, no target). */
export type SendOutcome =
  | { status: "sent"; providerMessageId: string | null }
  | { status: "retry" | "failed"; error: string };

export const RESEND_URL = "https://api.resend.com/emails";
export const MAILCHANNELS_URL = "https://api.mailchannels.net/tx/v1/send";

type EmailConfig = Pick<Config, "EMAIL_PROVIDER" | "EMAIL_API_KEY" | "EMAIL_FROM">;
type SendConfig = EmailConfig & Pick<Config, "APP_URL">;

/** "Name <address>" or a bare address, split for APIs that want them apart. */
function parseSender(from: string): { email: string; name?: string } {
  const match = /^\s*(.*?)\s*<([^>]+)>\s*$/.exec(from);
  if (!match?.[2]) return { email: from.trim() };
  return match[1] ? { email: match[2], name: match[1] } : { email: match[2] };
}

/** The request for the configured email provider, or null when the provider is "log" (nothing is sent). */
export function emailRequest(config: EmailConfig, message: OutgoingMessage): Request | null {
  const key = config.EMAIL_API_KEY ?? "";
  const json = (url: string, headers: Record<string, string>, body: unknown) =>
    new Request(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
  switch (config.EMAIL_PROVIDER) {
    case "resend":
      // https://resend.com/docs/api-reference/emails/send-email
      return json(
        RESEND_URL,
        { Authorization: `Bearer ${key}`, "Idempotency-Key": message.id },
        {
          from: config.EMAIL_FROM,
          to: [message.recipient],
          subject: message.subject,
          text: message.body,
          ...(message.html ? { html: message.html } : {}),
        },
      );
    case "mailchannels":
      // https://api.mailchannels.net/tx/v1/documentation (POST /tx/v1/send)
      return json(
        MAILCHANNELS_URL,
        { "X-Api-Key": key },
        {
          personalizations: [{ to: [{ email: message.recipient }] }],
          from: parseSender(config.EMAIL_FROM),
          subject: message.subject,
          content: [
            { type: "text/plain", value: message.body },
            ...(message.html ? [{ type: "text/html", value: message.html }] : []),
          ],
        },
      );
    case "log":
      return null;
  }
}

/**
 * The link for a button: Slack and Teams refuse a message whose button has a relative URL, so only absolute
 * ones (a link within the app, e.g. `/contacts/<id>`, is made absolute when APP_URL is set: see withAppUrl).
 */
function buttonUrl(link: string | null): string | null {
  return link && /^https?:\/\//.test(link) ? link : null;
}

/**
 * The message with its link within the app made absolute against APP_URL, in the link and where the email's
 * text ends with it; unchanged without APP_URL, or when the link is absolute already.
 */
export function withAppUrl(appUrl: string | undefined, message: OutgoingMessage): OutgoingMessage {
  const { link } = message;
  if (!appUrl || !link || /^https?:\/\//.test(link)) return message;
  const absolute = new URL(link, appUrl).toString();
  const tail = `\n\n${link}`;
  const body = message.body.endsWith(tail)
    ? `${message.body.slice(0, -tail.length)}\n\n${absolute}`
    : message.body;
  return { ...message, link: absolute, body };
}

/** Slack incoming webhook: `text` is the notification fallback, `blocks` the message. */
export function slackPayload(message: OutgoingMessage) {
  const text = `*${message.subject}*\n${message.body}`;
  const url = buttonUrl(message.link);
  return {
    text: `${message.subject}: ${message.body}`,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text } },
      ...(url
        ? [
            {
              type: "actions",
              elements: [{ type: "button", text: { type: "plain_text", text: "Open in CRM" }, url }],
            },
          ]
        : []),
    ],
  };
}

/** Teams incoming webhook (Workflows or legacy connector): one Adaptive Card as a message attachment. */
export function teamsPayload(message: OutgoingMessage) {
  const url = buttonUrl(message.link);
  return {
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        contentUrl: null,
        content: {
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          version: "1.4",
          body: [
            { type: "TextBlock", text: message.subject, weight: "Bolder", size: "Medium", wrap: true },
            { type: "TextBlock", text: message.body, wrap: true },
          ],
          ...(url ? { actions: [{ type: "Action.OpenUrl", title: "Open in CRM", url }] } : {}),
        },
      },
    ],
  };
}

function webhookRequest(message: OutgoingMessage): Request | null {
  if (!message.webhookUrl) return null;
  const body = message.channel === "slack" ? slackPayload(message) : teamsPayload(message);
  return new Request(message.webhookUrl, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

const TIMEOUT_MS = 10_000;

/** Sends one message. Errors name the status or the error class only: URLs and keys are secrets. */
export async function sendMessage(config: SendConfig, outgoing: OutgoingMessage): Promise<SendOutcome> {
  const message = withAppUrl(config.APP_URL, outgoing);
  const request = message.channel === "email" ? emailRequest(config, message) : webhookRequest(message);
  if (!request) return { status: "failed", error: "no delivery target (webhook removed or provider is log)" };
  if (message.channel === "email" && !config.EMAIL_API_KEY) {
    return { status: "failed", error: `EMAIL_API_KEY is not set for provider ${config.EMAIL_PROVIDER}` };
  }
  let response: Response;
  try {
    response = await fetch(request, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (error) {
    return { status: "retry", error: `network error (${error instanceof Error ? error.name : "unknown"})` };
  }
  if (response.ok) return { status: "sent", providerMessageId: await providerId(response) };
  await response.body?.cancel();
  const error = `HTTP ${response.status}`;
  return response.status >= 500 || response.status === 429
    ? { status: "retry", error }
    : { status: "failed", error };
}

/** Resend answers `{ id }`; MailChannels and the webhooks answer without one. */
async function providerId(response: Response): Promise<string | null> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { id?: unknown };
    return typeof body.id === "string" ? body.id.slice(0, 200) : null;
  } catch {
    return null;
  }
}
