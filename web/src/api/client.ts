// The app's typed API client: openapi-fetch over the types generated from the Worker's OpenAPI document
// (web/src/api/schema.ts, `npm run gen:api`). Every request carries the CSRF header the API wants on cookie-
// authenticated writes; an expired access token is refreshed once and the request sent again; failures
// become an ApiProblem the screens show in plain words.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.ts";

export type Schemas = components["schemas"];
export type Problem = Schemas["Problem"];
/** The query parameters a GET route takes. */
export type QueryOf<P extends keyof paths> = paths[P] extends { get: { parameters: { query?: infer Q } } }
  ? NonNullable<Q>
  : never;

export class ApiProblem extends Error {
  readonly status: number;
  readonly problem: Partial<Problem>;
  constructor(status: number, problem: Partial<Problem>) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
  /** The message the API gave for a field, by its path (e.g. "fields.0.key"). */
  fieldError(path: string): string | undefined {
    return this.problem.errors?.find((error) => error.path === path)?.message;
  }
}

/** No answer at all: the network, or the Worker being away. */
export class NetworkProblem extends Error {}

type Listener = () => void;
const sessionEnded = new Set<Listener>();
/** Called when the session cannot be refreshed any more: the app goes back to the login screen. */
export function onSessionEnded(listener: Listener): () => void {
  sessionEnded.add(listener);
  return () => sessionEnded.delete(listener);
}

let refreshing: Promise<boolean> | null = null;
/** One refresh at a time, however many requests found the access token expired together. */
function refreshSession(): Promise<boolean> {
  refreshing ??= fetch("/api/v1/auth/refresh", { method: "POST", headers: { "X-CRM-Request": "1" } })
    .then((response) => response.ok)
    .catch(() => false)
    .finally(() => {
      setTimeout(() => {
        refreshing = null;
      }, 0);
    });
  return refreshing;
}

const NO_REFRESH = /\/api\/v1\/auth\/(login|refresh|logout)$/;

async function send(request: Request): Promise<Response> {
  const again = request.clone();
  let response: Response;
  try {
    response = await fetch(request);
  } catch (error) {
    throw new NetworkProblem(String(error));
  }
  if (response.status !== 401 || NO_REFRESH.test(new URL(request.url).pathname)) return response;
  if (await refreshSession()) return fetch(again);
  for (const listener of sessionEnded) listener();
  return response;
}

export const api = createClient<paths>({
  baseUrl: "",
  headers: { "X-CRM-Request": "1" },
  fetch: send,
});

interface Result<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of an answer, or an ApiProblem thrown with the problem the API sent. */
export async function ok<T>(call: Promise<Result<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) {
    const problem = (error && typeof error === "object" ? error : {}) as Partial<Problem>;
    throw new ApiProblem(response.status, problem);
  }
  return data as T;
}

/** The weak ETag of a record's version, for If-Match. */
export const ifMatch = (version: number) => ({ "if-match": `W/"${version}"` });

/** A fresh Idempotency-Key, so a retried POST does its work once. */
export const idempotency = () => ({ "idempotency-key": crypto.randomUUID() });

/** Every page of a cursor list, for exports of a whole view (bounded, so a huge view cannot hang the tab). */
export async function allPages<T>(
  page: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>,
  maxItems = 50_000,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const next = await page(cursor);
    items.push(...next.items);
    cursor = next.nextCursor ?? undefined;
  } while (cursor && items.length < maxItems);
  return items;
}
