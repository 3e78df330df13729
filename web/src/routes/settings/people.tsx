// Users, their roles and teams: invite, change role, deactivate or reactivate, resend an invitation; teams
// with their members and leads. Admins change; managers read.
import { useState } from "preact/hooks";
import { allPages, api, idempotency, ok, type Schemas } from "../../api/client.ts";
import { forget } from "../../data/directory.ts";
import { ROLES, type Role } from "../../data/enums.ts";
import { t, tx } from "../../i18n/index.ts";
import { can, useSession } from "../../session.ts";
import { Checkbox, Dialog, ErrorNote, Loading, SelectField, TextField } from "../../ui/controls.tsx";
import { useQuery } from "../../ui/hooks.ts";
import { describe, fieldErrors } from "../../ui/problem.ts";
import { toast } from "../../ui/toast.tsx";

type User = Schemas["User"];
type Team = Schemas["Team"];

export default function People() {
  const { me } = useSession();
  const admin = can.admin(me);
  const data = useQuery(
    () =>
      Promise.all([
        allPages((cursor) => ok(api.GET("/api/v1/users", { params: { query: { limit: 200, cursor } } }))),
        allPages((cursor) =>
          ok(api.GET("/api/v1/teams", { params: { query: { limit: 200, cursor } } as never })),
        ),
      ]),
    [],
  );
  const [inviting, setInviting] = useState(false);
  const [teamEdit, setTeamEdit] = useState<Team | "new" | null>(null);

  if (data.error) return <ErrorNote error={data.error} retry={data.reload} />;
  if (!data.data) return <Loading />;
  const [users, teams] = data.data;
  const changed = () => {
    forget();
    void data.reload();
  };
  const patch = async (user: User, body: Schemas["UserPatch"], done: string) => {
    try {
      await ok(api.PATCH("/api/v1/users/{id}", { params: { path: { id: user.id } }, body }));
      toast(done);
      changed();
    } catch (error) {
      toast(describe(error), "error");
    }
  };

  return (
    <>
      <section aria-labelledby="users-title">
        <h2 id="users-title">{t("settings.users")}</h2>
        {admin && (
          <button type="button" class="primary" onClick={() => setInviting(true)}>
            {t("users.invite")}
          </button>
        )}
        <div class="table-wrap">
          <table>
            <caption class="sr-only">{t("settings.users")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("common.name")}</th>
                <th scope="col">{t("login.email")}</th>
                <th scope="col">{t("users.role")}</th>
                <th scope="col">{t("users.teams")}</th>
                <th scope="col">{t("common.status")}</th>
              </tr>
            </thead>
            <tbody>
              {users.map((user) => (
                <tr key={user.id}>
                  <th scope="row">{user.name}</th>
                  <td>{user.email}</td>
                  <td>
                    {admin && user.id !== me.id ? (
                      <select
                        aria-label={t("users.roleOf", { name: user.name })}
                        value={user.role}
                        onChange={(e) =>
                          patch(
                            user,
                            { role: e.currentTarget.value as Role },
                            t("users.roleChanged", { name: user.name }),
                          )
                        }
                      >
                        {ROLES.map((role) => (
                          <option key={role} value={role}>
                            {tx("role", role)}
                          </option>
                        ))}
                      </select>
                    ) : (
                      tx("role", user.role)
                    )}
                  </td>
                  <td>
                    {user.teams
                      .map((team) => `${team.name}${team.lead ? ` (${t("users.lead")})` : ""}`)
                      .join(", ")}
                  </td>
                  <td>
                    {user.invitationPending
                      ? t("users.invited")
                      : user.active
                        ? t("common.active")
                        : t("common.inactive")}
                    {admin && user.id !== me.id && (
                      <span class="actions">
                        <button
                          type="button"
                          class="link"
                          onClick={() =>
                            patch(
                              user,
                              { active: !user.active },
                              t(user.active ? "users.deactivated" : "users.reactivated", { name: user.name }),
                            )
                          }
                        >
                          {user.active ? t("users.deactivate") : t("users.reactivate")}
                        </button>
                        {user.invitationPending && (
                          <button
                            type="button"
                            class="link"
                            onClick={async () => {
                              try {
                                await ok(
                                  api.POST("/api/v1/users/{id}/invitation", {
                                    params: { path: { id: user.id } },
                                  }),
                                );
                                toast(t("users.resent", { email: user.email }));
                              } catch (error) {
                                toast(describe(error), "error");
                              }
                            }}
                          >
                            {t("users.resend")}
                          </button>
                        )}
                      </span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <section aria-labelledby="teams-title">
        <h2 id="teams-title">{t("users.teamsTitle")}</h2>
        {admin && (
          <button type="button" onClick={() => setTeamEdit("new")}>
            {t("users.newTeam")}
          </button>
        )}
        <ul class="plain">
          {teams.map((team) => (
            <li key={team.id}>
              <strong>{team.name}</strong>:{" "}
              {team.members
                .map((member) => `${member.name}${member.lead ? ` (${t("users.lead")})` : ""}`)
                .join(", ") || t("common.none")}{" "}
              {admin && (
                <button type="button" class="link" onClick={() => setTeamEdit(team)}>
                  {t("common.edit")}
                </button>
              )}
            </li>
          ))}
        </ul>
      </section>
      <Dialog title={t("users.invite")} open={inviting} onClose={() => setInviting(false)}>
        <Invite
          teams={teams}
          onDone={() => {
            setInviting(false);
            changed();
          }}
        />
      </Dialog>
      <Dialog
        title={teamEdit === "new" ? t("users.newTeam") : t("users.editTeam")}
        open={teamEdit !== null}
        onClose={() => setTeamEdit(null)}
      >
        {teamEdit && (
          <TeamForm
            team={teamEdit === "new" ? null : teamEdit}
            users={users}
            onDone={() => {
              setTeamEdit(null);
              changed();
            }}
          />
        )}
      </Dialog>
    </>
  );
}

function Invite({ teams, onDone }: { teams: Team[]; onDone: () => void }) {
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("rep");
  const [teamIds, setTeamIds] = useState<string[]>([]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState("");
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      await ok(
        api.POST("/api/v1/users", {
          params: { header: idempotency() } as never,
          body: { email, name, role, teamIds },
        }),
      );
      toast(t("users.invitedOne", { email }));
      onDone();
    } catch (failure) {
      setErrors(fieldErrors(failure));
      setProblem(describe(failure));
    }
  };
  return (
    <form class="stack" onSubmit={submit} noValidate>
      <TextField label={t("common.name")} value={name} onValue={setName} error={errors.name} required />
      <TextField
        label={t("login.email")}
        type="email"
        value={email}
        onValue={setEmail}
        error={errors.email}
        required
      />
      <SelectField
        label={t("users.role")}
        value={role}
        options={ROLES.map((r) => ({ value: r, label: tx("role", r) }))}
        onValue={setRole}
      />
      <fieldset>
        <legend>{t("users.teams")}</legend>
        {teams.map((team) => (
          <Checkbox
            key={team.id}
            label={team.name}
            checked={teamIds.includes(team.id)}
            onChange={(on) => setTeamIds(on ? [...teamIds, team.id] : teamIds.filter((id) => id !== team.id))}
          />
        ))}
      </fieldset>
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      <button type="submit" class="primary">
        {t("users.sendInvite")}
      </button>
    </form>
  );
}

function TeamForm({ team, users, onDone }: { team: Team | null; users: User[]; onDone: () => void }) {
  const [name, setName] = useState(team?.name ?? "");
  const [members, setMembers] = useState<{ userId: string; lead: boolean }[]>(
    team?.members.map((m) => ({ userId: m.userId, lead: m.lead })) ?? [],
  );
  const [problem, setProblem] = useState("");
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      if (team) {
        if (name !== team.name)
          await ok(api.PATCH("/api/v1/teams/{id}", { params: { path: { id: team.id } }, body: { name } }));
        await ok(
          api.PUT("/api/v1/teams/{id}/members", { params: { path: { id: team.id } }, body: { members } }),
        );
      } else {
        await ok(
          api.POST("/api/v1/teams", { params: { header: idempotency() } as never, body: { name, members } }),
        );
      }
      toast(t("common.saved"));
      onDone();
    } catch (failure) {
      setProblem(describe(failure));
    }
  };
  const member = (userId: string) => members.find((m) => m.userId === userId);
  return (
    <form class="stack" onSubmit={submit}>
      <TextField label={t("common.name")} value={name} onValue={setName} required />
      <fieldset>
        <legend>{t("users.members")}</legend>
        {users
          .filter((u) => u.active)
          .map((user) => (
            <div key={user.id}>
              <Checkbox
                label={user.name}
                checked={Boolean(member(user.id))}
                onChange={(on) =>
                  setMembers(
                    on
                      ? [...members, { userId: user.id, lead: false }]
                      : members.filter((m) => m.userId !== user.id),
                  )
                }
              />
              {member(user.id) && user.role === "manager" && (
                <Checkbox
                  label={t("users.leadOf", { name: user.name })}
                  checked={member(user.id)?.lead ?? false}
                  onChange={(lead) =>
                    setMembers(members.map((m) => (m.userId === user.id ? { ...m, lead } : m)))
                  }
                />
              )}
            </div>
          ))}
      </fieldset>
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      <button type="submit" class="primary">
        {t("common.save")}
      </button>
    </form>
  );
}
