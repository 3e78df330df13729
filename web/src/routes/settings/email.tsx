// Email: the templates (English and Vietnamese variants with {{variables}}) and the outbox, where every
// message the CRM sends or tried to send is listed with its state, and failed ones can be sent again.
import { useState } from "preact/hooks";
import { api, idempotency, ifMatch, ok, type Schemas } from "../../api/client.ts";
import { dateTime, t } from "../../i18n/index.ts";
import { Dialog, ErrorNote, Loading, SelectField, Tabs, TextArea, TextField } from "../../ui/controls.tsx";
import { useQuery } from "../../ui/hooks.ts";
import { describe, fieldErrors } from "../../ui/problem.ts";
import { toast } from "../../ui/toast.tsx";

type Template = Schemas["EmailTemplate"];

export default function Email() {
  const [tab, setTab] = useState<"templates" | "outbox">("templates");
  return (
    <section>
      <Tabs
        label={t("settings.email")}
        value={tab}
        onChange={setTab}
        tabs={[
          { value: "templates", label: t("email.templates") },
          { value: "outbox", label: t("email.outbox") },
        ]}
      />
      <div role="tabpanel">{tab === "templates" ? <Templates /> : <Outbox />}</div>
    </section>
  );
}

function Templates() {
  const list = useQuery(
    () => ok(api.GET("/api/v1/email-templates", { params: { query: { limit: 100 } } })),
    [],
  );
  const [editing, setEditing] = useState<Template | "new" | null>(null);
  if (list.error) return <ErrorNote error={list.error} retry={list.reload} />;
  if (!list.data) return <Loading />;
  return (
    <>
      <button type="button" class="primary" onClick={() => setEditing("new")}>
        {t("email.newTemplate")}
      </button>
      <ul class="plain">
        {list.data.items.map((template) => (
          <li key={template.id}>
            <button type="button" class="link" onClick={() => setEditing(template)}>
              {template.name}
            </button>{" "}
            <span class="badge">
              {t(template.kind === "marketing" ? "email.marketing" : "email.transactional")}
            </span>{" "}
            <span class="muted">{template.variants.en.subject}</span>
          </li>
        ))}
      </ul>
      <Dialog
        wide
        title={editing === "new" ? t("email.newTemplate") : t("email.editTemplate")}
        open={editing !== null}
        onClose={() => setEditing(null)}
      >
        {editing && (
          <TemplateForm
            template={editing === "new" ? null : editing}
            onDone={() => {
              setEditing(null);
              void list.reload();
            }}
          />
        )}
      </Dialog>
    </>
  );
}

function TemplateForm({ template, onDone }: { template: Template | null; onDone: () => void }) {
  const [name, setName] = useState(template?.name ?? "");
  const [kind, setKind] = useState<Template["kind"]>(template?.kind ?? "transactional");
  const [en, setEn] = useState({
    subject: template?.variants.en.subject ?? "",
    html: template?.variants.en.html ?? "",
  });
  const [vi, setVi] = useState({
    subject: template?.variants.vi?.subject ?? "",
    html: template?.variants.vi?.html ?? "",
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState("");
  const submit = async (e: Event) => {
    e.preventDefault();
    const variants = { en, ...(vi.subject.trim() || vi.html.trim() ? { vi } : {}) };
    try {
      if (template) {
        await ok(
          api.PATCH("/api/v1/email-templates/{id}", {
            params: { path: { id: template.id }, header: ifMatch(template.version) } as never,
            body: { name, kind, variants },
          }),
        );
      } else {
        await ok(
          api.POST("/api/v1/email-templates", {
            params: { header: idempotency() } as never,
            body: { name, kind, variants },
          }),
        );
      }
      toast(t("common.saved"));
      onDone();
    } catch (failure) {
      setErrors(fieldErrors(failure));
      setProblem(describe(failure));
    }
  };
  return (
    <form class="stack" onSubmit={submit} noValidate>
      <TextField label={t("common.name")} value={name} onValue={setName} error={errors.name} required />
      <SelectField
        label={t("email.kind")}
        value={kind}
        options={[
          { value: "transactional", label: t("email.transactional") },
          { value: "marketing", label: t("email.marketing") },
        ]}
        onValue={setKind}
        hint={t("email.kindHint")}
      />
      <p class="hint">{t("email.variables")}</p>
      <TextField
        label={t("email.subjectEn")}
        value={en.subject}
        onValue={(subject) => setEn({ ...en, subject })}
        error={errors["variants.en.subject"]}
      />
      <TextArea
        label={t("email.bodyEn")}
        rows={6}
        value={en.html}
        onValue={(html) => setEn({ ...en, html })}
        error={errors["variants.en.html"]}
      />
      <TextField
        label={t("email.subjectVi")}
        value={vi.subject}
        onValue={(subject) => setVi({ ...vi, subject })}
      />
      <TextArea
        label={t("email.bodyVi")}
        rows={6}
        value={vi.html}
        onValue={(html) => setVi({ ...vi, html })}
      />
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

function Outbox() {
  const [status, setStatus] = useState<"" | "pending" | "sending" | "sent" | "failed">("");
  const list = useQuery(
    () => ok(api.GET("/api/v1/outbox", { params: { query: { limit: 50, ...(status ? { status } : {}) } } })),
    [status],
  );
  const replay = async (id: string) => {
    try {
      await ok(api.POST("/api/v1/outbox/{id}/replay", { params: { path: { id } } }));
      toast(t("email.replayed"));
      void list.reload();
    } catch (error) {
      toast(describe(error), "error");
    }
  };
  return (
    <>
      <SelectField
        label={t("common.status")}
        value={status}
        options={[
          { value: "", label: t("list.any") },
          { value: "pending", label: t("email.pending") },
          { value: "sending", label: t("email.sending") },
          { value: "sent", label: t("email.sent") },
          { value: "failed", label: t("email.failed") },
        ]}
        onValue={setStatus}
      />
      {list.error ? <ErrorNote error={list.error} retry={list.reload} /> : null}
      {!list.data ? (
        <Loading />
      ) : (
        <div class="table-wrap">
          <table>
            <caption class="sr-only">{t("email.outbox")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("common.when")}</th>
                <th scope="col">{t("email.to")}</th>
                <th scope="col">{t("email.subject")}</th>
                <th scope="col">{t("common.status")}</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((message) => (
                <tr key={message.id}>
                  <th scope="row">{dateTime(message.createdAt)}</th>
                  <td>
                    {message.channel}: {message.recipient}
                  </td>
                  <td>{message.subject}</td>
                  <td>
                    {t(`email.${message.status}` as "email.sent")}
                    {message.status === "failed" && (
                      <>
                        {" "}
                        <button type="button" class="link" onClick={() => replay(message.id)}>
                          {t("email.sendAgain")}
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
