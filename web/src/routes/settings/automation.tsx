// Workflows and sequences: each listed with its state, edited as JSON (a workflow's trigger, conditions and
// actions; a sequence's steps), with the API's problems in plain words; workflows show their recent runs.
import { useState } from "preact/hooks";
import { api, idempotency, ifMatch, ok, type Schemas } from "../../api/client.ts";
import { dateTime, t } from "../../i18n/index.ts";
import { can, useSession } from "../../session.ts";
import { Checkbox, ErrorNote, Loading, Tabs } from "../../ui/controls.tsx";
import { useQuery } from "../../ui/hooks.ts";
import { describe } from "../../ui/problem.ts";
import { toast } from "../../ui/toast.tsx";
import { JsonEditor } from "./json-editor.tsx";

export default function Automation() {
  const [tab, setTab] = useState<"workflows" | "sequences">("workflows");
  return (
    <section>
      <Tabs
        label={t("settings.automation")}
        value={tab}
        onChange={setTab}
        tabs={[
          { value: "workflows", label: t("automation.workflows") },
          { value: "sequences", label: t("automation.sequences") },
        ]}
      />
      <div role="tabpanel">{tab === "workflows" ? <Workflows /> : <Sequences />}</div>
    </section>
  );
}

type Workflow = Schemas["Workflow"];

const NEW_WORKFLOW = {
  name: "Welcome new leads",
  description: null,
  trigger: { type: "record_created", recordType: "contact" },
  conditions: null,
  actions: [{ type: "create_task", title: "Call {{contact.name}}", dueInHours: 24 }],
};

function Workflows() {
  const { me } = useSession();
  const list = useQuery(() => ok(api.GET("/api/v1/workflows", { params: { query: { limit: 100 } } })), []);
  const [open, setOpen] = useState<Workflow | "new" | null>(null);
  if (list.error) return <ErrorNote error={list.error} retry={list.reload} />;
  if (!list.data) return <Loading />;
  const writable = can.manage(me);
  const toggle = async (workflow: Workflow) => {
    try {
      const path = workflow.enabled ? "/api/v1/workflows/{id}/disable" : "/api/v1/workflows/{id}/enable";
      await ok(api.POST(path, { params: { path: { id: workflow.id } } }));
      void list.reload();
    } catch (error) {
      toast(describe(error), "error");
    }
  };
  return (
    <>
      {writable && (
        <button type="button" class="primary" onClick={() => setOpen("new")}>
          {t("automation.newWorkflow")}
        </button>
      )}
      <ul class="plain">
        {list.data.items.map((workflow) => (
          <li key={workflow.id}>
            <button type="button" class="link" onClick={() => setOpen(workflow)}>
              {workflow.name}
            </button>{" "}
            <span class="badge">{workflow.enabled ? t("common.active") : t("common.inactive")}</span>{" "}
            {writable && (
              <Checkbox
                label={t("automation.enabled")}
                checked={workflow.enabled}
                onChange={() => toggle(workflow)}
              />
            )}
          </li>
        ))}
      </ul>
      {open && (
        <div class="card">
          <JsonEditor
            label={
              open === "new"
                ? t("automation.newWorkflow")
                : t("automation.definition", { name: open.name, version: open.version })
            }
            hint={t("automation.workflowHint")}
            readOnly={!writable}
            value={
              open === "new"
                ? NEW_WORKFLOW
                : {
                    name: open.name,
                    description: open.description,
                    trigger: open.trigger,
                    conditions: open.conditions,
                    actions: open.actions,
                  }
            }
            onSave={async (parsed) => {
              // The API checks the definition whole and names each problem's place in it.
              if (open === "new")
                await ok(
                  api.POST("/api/v1/workflows", {
                    params: { header: idempotency() } as never,
                    body: parsed as never,
                  }),
                );
              else {
                await ok(
                  api.PUT("/api/v1/workflows/{id}", {
                    params: { path: { id: open.id }, header: ifMatch(open.version) } as never,
                    body: parsed as never,
                  }),
                );
              }
              setOpen(null);
              await list.reload();
            }}
          />
          {open !== "new" && <Runs workflowId={open.id} />}
        </div>
      )}
    </>
  );
}

function Runs({ workflowId }: { workflowId: string }) {
  const runs = useQuery(
    () =>
      ok(
        api.GET("/api/v1/workflows/{id}/runs", {
          params: { path: { id: workflowId }, query: { limit: 20 } as never },
        }),
      ),
    [workflowId],
  );
  if (runs.error) return <ErrorNote error={runs.error} retry={runs.reload} />;
  if (!runs.data) return <Loading />;
  return (
    <div class="table-wrap">
      <table class="compact">
        <caption>{t("automation.runs")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("common.when")}</th>
            <th scope="col">{t("automation.event")}</th>
            <th scope="col">{t("common.status")}</th>
            <th scope="col">{t("common.details")}</th>
          </tr>
        </thead>
        <tbody>
          {runs.data.items.map((run) => (
            <tr key={run.id}>
              <th scope="row">{dateTime(run.startedAt)}</th>
              <td>
                {run.eventType} {run.recordType ? `(${run.recordType})` : ""}
              </td>
              <td>{run.status}</td>
              <td>{run.error ?? run.reason ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

type Sequence = Schemas["Sequence"];

function Sequences() {
  const { me } = useSession();
  const list = useQuery(
    () => ok(api.GET("/api/v1/sequences", { params: { query: { limit: 100 } as never } })),
    [],
  );
  const [open, setOpen] = useState<Sequence | "new" | null>(null);
  if (list.error) return <ErrorNote error={list.error} retry={list.reload} />;
  if (!list.data) return <Loading />;
  const writable = can.manage(me);
  return (
    <>
      {writable && (
        <button type="button" class="primary" onClick={() => setOpen("new")}>
          {t("automation.newSequence")}
        </button>
      )}
      <ul class="plain">
        {list.data.items.map((sequence) => (
          <li key={sequence.id}>
            <button type="button" class="link" onClick={() => setOpen(sequence)}>
              {sequence.name}
            </button>{" "}
            <span class="badge">{sequence.enabled ? t("common.active") : t("common.inactive")}</span>{" "}
            <span class="muted">{t("automation.enrolled", { n: sequence.activeEnrolments })}</span>
          </li>
        ))}
      </ul>
      {open && (
        <div class="card">
          <JsonEditor
            label={
              open === "new"
                ? t("automation.newSequence")
                : t("automation.definition", { name: open.name, version: open.version })
            }
            hint={t("automation.sequenceHint")}
            readOnly={!writable}
            value={
              open === "new"
                ? {
                    name: "Follow-up",
                    enabled: false,
                    steps: [{ type: "task", delayDays: 2, title: "Call back" }],
                  }
                : { name: open.name, enabled: open.enabled, steps: open.steps }
            }
            onSave={async (parsed) => {
              if (open === "new") {
                await ok(
                  api.POST("/api/v1/sequences", {
                    params: { header: idempotency() } as never,
                    body: parsed as never,
                  }),
                );
              } else {
                await ok(
                  api.PATCH("/api/v1/sequences/{id}", {
                    params: { path: { id: open.id }, header: ifMatch(open.version) } as never,
                    body: parsed as never,
                  }),
                );
              }
              setOpen(null);
              await list.reload();
            }}
          />
        </div>
      )}
    </>
  );
}
