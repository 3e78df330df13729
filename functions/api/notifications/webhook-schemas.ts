// The Slack and Microsoft Teams incoming-webhook URLs a user or a team registers, and how the API shows them:
// https only, on the hosts those services give out, and never whole in an answer (the URL is the credential).
import { z } from "@hono/zod-openapi";
import { maskWebhookUrl } from "../../../db/notifications/index.ts";
import type { WebhookChannel } from "../../../db/schema/index.ts";

/** The host of a URL, or null: zod runs refinements even after the URL check failed. */
function hostOf(url: string): string | null {
  try {
    return new URL(url).hostname;
  } catch {
    return null;
  }
}

const webhookUrl = (hosts: RegExp, name: string) =>
  z
    .url({ protocol: /^https$/, error: `must be an https:// ${name} incoming-webhook URL` })
    .max(2000)
    .refine((url) => hosts.test(hostOf(url) ?? ""), `must be a ${name} incoming-webhook URL`);

/** Slack gives out hooks.slack.com; Teams the legacy connector host and the Workflows (Power Automate) ones. */
export const SlackWebhookUrl = webhookUrl(/^hooks\.slack\.com$/, "Slack");
export const TeamsWebhookUrl = webhookUrl(
  /(\.webhook\.office\.com|\.logic\.azure\.com|\.powerplatform\.com)$/,
  "Microsoft Teams",
);

/** A URL sets the channel's webhook, null removes it, a channel left out keeps its own. */
export const WebhooksPatch = z
  .object({
    slack: SlackWebhookUrl.nullable().optional(),
    teams: TeamsWebhookUrl.nullable().optional(),
  })
  .strict();

export const WebhooksView = z
  .object({ slack: z.string().nullable(), teams: z.string().nullable() })
  .openapi("NotificationWebhooks", { description: "The URLs, masked: they are credentials." });

type WebhookRow = { channel: WebhookChannel; url: string };

/** The masked view of a user's or a team's webhook rows. */
export function webhooksView(rows: readonly WebhookRow[]): z.infer<typeof WebhooksView> {
  const of = (channel: WebhookChannel) => {
    const row = rows.find((r) => r.channel === channel);
    return row ? maskWebhookUrl(row.url) : null;
  };
  return { slack: of("slack"), teams: of("teams") };
}
