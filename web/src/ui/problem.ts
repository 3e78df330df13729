// API failures in plain words: what went wrong in the person's language, then the API's own explanation
// (problem+json `detail`, which names the field or the rule), and the request id to quote when it is ours.
import { ApiProblem, NetworkProblem } from "../api/client.ts";
import { type MessageKey, t } from "../i18n/index.ts";

const BY_STATUS: Record<number, MessageKey> = {
  400: "problem.bad_request",
  401: "problem.unauthorized",
  403: "problem.forbidden",
  404: "problem.not_found",
  409: "problem.conflict",
  412: "problem.stale",
  413: "problem.too_large",
  422: "problem.invalid",
  429: "problem.rate_limited",
  503: "problem.unavailable",
};

export function describe(error: unknown): string {
  if (error instanceof NetworkProblem) return t("problem.network");
  if (error instanceof ApiProblem) {
    const lead = t(BY_STATUS[error.status] ?? "problem.internal");
    const detail = error.problem.detail;
    const fields = (error.problem.errors ?? [])
      .filter((item) => item.message && !detail?.includes(item.message))
      .map((item) => (item.path ? `${item.path}: ${item.message}` : item.message));
    const parts = [lead, detail, ...fields].filter(Boolean);
    const id =
      error.status >= 500 && error.problem.requestId
        ? ` ${t("problem.requestId", { id: error.problem.requestId })}`
        : "";
    return `${parts.join(" ")}${id}`;
  }
  return t("problem.internal");
}

/** The API's message for each field path it named, to show by the fields themselves. */
export function fieldErrors(error: unknown): Record<string, string> {
  if (!(error instanceof ApiProblem)) return {};
  return Object.fromEntries((error.problem.errors ?? []).map((item) => [item.path, item.message]));
}
