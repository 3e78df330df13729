// What many screens name by id: the users (owners, assignees), teams and pipelines with their stages. Read
// once per visit and kept; a settings screen that changes them calls forget().
import { useEffect, useState } from "preact/hooks";
import { allPages, api, ok, type Schemas } from "../api/client.ts";

export type User = Schemas["User"];
export type Team = Schemas["Team"];
export type Pipeline = Schemas["Pipeline"];
export type CustomField = Schemas["CustomField"];

export interface Directory {
  users: User[];
  teams: Team[];
  pipelines: Pipeline[];
  customFields: CustomField[];
  userName: (id: string | null | undefined) => string;
}

let loading: Promise<Directory> | null = null;

async function load(): Promise<Directory> {
  const [users, teams, pipelines, customFields] = await Promise.all([
    allPages((cursor) => ok(api.GET("/api/v1/users", { params: { query: { limit: 200, cursor } } }))),
    allPages((cursor) => ok(api.GET("/api/v1/teams", { params: { query: { limit: 200, cursor } } }))).catch(
      () => [] as Team[],
    ),
    ok(api.GET("/api/v1/pipelines")).then((answer) => answer.items),
    ok(api.GET("/api/v1/custom-fields")).then((answer) => answer.items.filter((field) => !field.archivedAt)),
  ]);
  const names = new Map(users.map((user) => [user.id, user.name]));
  return { users, teams, pipelines, customFields, userName: (id) => (id ? (names.get(id) ?? "") : "") };
}

export function directory(): Promise<Directory> {
  loading ??= load().catch((error) => {
    loading = null;
    throw error;
  });
  return loading;
}

export function forget(): void {
  loading = null;
}

/** The directory once loaded (undefined until then). */
export function useDirectory(): Directory | undefined {
  const [value, setValue] = useState<Directory>();
  useEffect(() => {
    let live = true;
    directory()
      .then((loaded) => live && setValue(loaded))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, []);
  return value;
}
