// A contact's 360: profile, company, deals, open tasks, score with its explanation, email consent, and the
// timeline with its composer.

import { useState } from "preact/hooks";
import { useLocation, useRoute } from "preact-iso";
import { api, ok, type Schemas } from "../api/client.ts";
import { useDirectory } from "../data/directory.ts";
import { calendarDate, dateTime, money, t, tx } from "../i18n/index.ts";
import { ScoreCard } from "../records/score.tsx";
import { TaskForm, TaskItems } from "../records/tasks.tsx";
import { Timeline } from "../records/timeline.tsx";
import { can, useSession } from "../session.ts";
import { Dialog, ErrorNote, Loading, PageTitle } from "../ui/controls.tsx";
import { useQuery } from "../ui/hooks.ts";
import { describe } from "../ui/problem.ts";
import { toast } from "../ui/toast.tsx";
import { ContactForm } from "./contact-form.tsx";
import { DealForm } from "./deal-form.tsx";

export default function ContactPage() {
  const { params } = useRoute();
  const { route } = useLocation();
  const { me } = useSession();
  const people = useDirectory();
  const id = params.id ?? "";
  const view = useQuery(
    () =>
      ok(api.GET("/api/v1/contacts/{id}/360", { params: { path: { id }, query: { timelineLimit: 25 } } })),
    [id],
  );
  const [editing, setEditing] = useState<Schemas["Contact"] | null>(null);
  const [dialog, setDialog] = useState<"task" | "deal" | null>(null);
  const writable = can.write(me);

  if (view.error && !view.data) return <ErrorNote error={view.error} retry={view.reload} />;
  const data = view.data;
  if (!data) return <Loading />;
  const { contact, company } = data;

  const edit = async () => {
    try {
      setEditing(await ok(api.GET("/api/v1/contacts/{id}", { params: { path: { id } } })));
    } catch (error) {
      toast(describe(error), "error");
    }
  };
  const remove = async () => {
    if (!confirm(t("contact.confirmDelete", { name: contact.name }))) return;
    try {
      await ok(api.DELETE("/api/v1/contacts/{id}", { params: { path: { id } } }));
      toast(t("contact.deleted", { name: contact.name }));
      route("/contacts");
    } catch (error) {
      toast(describe(error), "error");
    }
  };
  const setConsent = async (email: "granted" | "withdrawn") => {
    try {
      await ok(
        api.PATCH("/api/v1/contacts/{id}", {
          params: { path: { id } },
          body: { consent: { email, source: "app" } },
        }),
      );
      toast(t(email === "granted" ? "consent.grantedSaved" : "consent.withdrawnSaved"));
      void view.reload();
    } catch (error) {
      toast(describe(error), "error");
    }
  };

  return (
    <article class="record">
      <PageTitle
        actions={
          writable && (
            <>
              <button type="button" onClick={edit}>
                {t("common.edit")}
              </button>
              <button type="button" class="danger" onClick={remove}>
                {t("common.delete")}
              </button>
            </>
          )
        }
      >
        {contact.name}
      </PageTitle>
      <p class="subtitle">
        {[contact.jobTitle, company?.name].filter(Boolean).join(" · ")}{" "}
        <span class="badge">{tx("lifecycle", contact.lifecycleStage)}</span>
      </p>
      <div class="record-grid">
        <div class="side">
          <section class="card" aria-labelledby="profile-title">
            <h2 id="profile-title">{t("contact.profile")}</h2>
            <dl class="props">
              <dt>{t("contact.email")}</dt>
              <dd>
                {contact.emails.length
                  ? contact.emails.map((email) => (
                      <a key={email} href={`mailto:${email}`}>
                        {email}
                      </a>
                    ))
                  : "–"}
              </dd>
              <dt>{t("contact.phone")}</dt>
              <dd>
                {contact.phones.length
                  ? contact.phones.map((phone) => (
                      <a key={phone} href={`tel:${phone}`}>
                        {phone}
                      </a>
                    ))
                  : "–"}
              </dd>
              <dt>{t("contact.leadStatus")}</dt>
              <dd>{tx("leadStatus", contact.leadStatus) || "–"}</dd>
              <dt>{t("contact.source")}</dt>
              <dd>{contact.source ?? "–"}</dd>
              <dt>{t("common.owner")}</dt>
              <dd>{people?.userName(contact.ownerId) || "–"}</dd>
              <dt>{t("contact.tags")}</dt>
              <dd>
                {contact.tags.length
                  ? contact.tags.map((tag) => (
                      <span key={tag} class="tag">
                        {tag}
                      </span>
                    ))
                  : "–"}
              </dd>
              {contact.address && (
                <>
                  <dt>{t("contact.address")}</dt>
                  <dd>{contact.address}</dd>
                </>
              )}
              {Object.entries(contact.custom).map(([key, value]) => (
                <>
                  <dt key={`${key}-t`}>
                    {people?.customFields.find((f) => f.object === "contact" && f.key === key)?.label ?? key}
                  </dt>
                  <dd key={`${key}-d`}>{Array.isArray(value) ? value.join(", ") : String(value ?? "")}</dd>
                </>
              ))}
              <dt>{t("common.created")}</dt>
              <dd>{dateTime(contact.createdAt)}</dd>
            </dl>
          </section>
          <ScoreCard
            contactId={contact.id}
            grade={contact.grade}
            fit={contact.fitScore}
            engagement={contact.engagementScore}
          />
          <section class="card" aria-labelledby="consent-title">
            <h2 id="consent-title">{t("consent.title")}</h2>
            <p>
              {contact.emailConsent === "granted"
                ? t("consent.granted")
                : contact.emailConsent === "withdrawn"
                  ? t("consent.withdrawn")
                  : t("consent.unknown")}
            </p>
            {writable && (
              <p class="actions">
                {contact.emailConsent !== "granted" && (
                  <button type="button" onClick={() => setConsent("granted")}>
                    {t("consent.grant")}
                  </button>
                )}
                {contact.emailConsent !== "withdrawn" && (
                  <button type="button" onClick={() => setConsent("withdrawn")}>
                    {t("consent.withdraw")}
                  </button>
                )}
              </p>
            )}
          </section>
          <section class="card" aria-labelledby="company-title">
            <h2 id="company-title">{t("contact.company")}</h2>
            {company ? (
              <p>
                <a href={`/companies/${company.id}`}>{company.name}</a>
                {company.domain ? ` · ${company.domain}` : ""}
              </p>
            ) : (
              <p class="muted">{t("contact.noCompany")}</p>
            )}
          </section>
          <section class="card" aria-labelledby="deals-title">
            <h2 id="deals-title">{t("nav.deals")}</h2>
            {data.deals.length ? (
              <ul class="plain">
                {data.deals.map((deal) => (
                  <li key={deal.id}>
                    <a href={`/deals/${deal.id}`}>{deal.name}</a> · {money(deal.amount, deal.currency)} ·{" "}
                    {tx("dealStatus", deal.status)}
                    {deal.expectedCloseDate ? ` · ${calendarDate(deal.expectedCloseDate)}` : ""}
                  </li>
                ))}
              </ul>
            ) : (
              <p class="muted">{t("contact.noDeals")}</p>
            )}
            {writable && (
              <button type="button" onClick={() => setDialog("deal")}>
                {t("deal.new")}
              </button>
            )}
          </section>
          <section class="card" aria-labelledby="tasks-title">
            <h2 id="tasks-title">{t("contact.openTasks")}</h2>
            <TaskItems tasks={data.openTasks} canWrite={writable} onChanged={() => view.reload()} />
            {writable && (
              <button type="button" onClick={() => setDialog("task")}>
                {t("task.new")}
              </button>
            )}
          </section>
        </div>
        <Timeline
          key={contact.version}
          subject={{ contactId: contact.id }}
          first={data.timeline}
          canWrite={writable}
        />
      </div>
      <Dialog title={t("contact.edit")} open={Boolean(editing)} onClose={() => setEditing(null)}>
        {editing && (
          <ContactForm
            contact={editing}
            onCancel={() => setEditing(null)}
            onSaved={() => {
              setEditing(null);
              toast(t("common.saved"));
              void view.reload();
            }}
          />
        )}
      </Dialog>
      <Dialog title={t("task.new")} open={dialog === "task"} onClose={() => setDialog(null)}>
        <TaskForm
          record={{ contactId: contact.id }}
          onCancel={() => setDialog(null)}
          onSaved={() => {
            setDialog(null);
            void view.reload();
          }}
        />
      </Dialog>
      <Dialog title={t("deal.new")} open={dialog === "deal"} onClose={() => setDialog(null)}>
        <DealForm
          contactId={contact.id}
          companyId={contact.companyId}
          onCancel={() => setDialog(null)}
          onSaved={() => {
            setDialog(null);
            void view.reload();
          }}
        />
      </Dialog>
    </article>
  );
}
