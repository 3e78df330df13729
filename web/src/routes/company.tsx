// A company: its details, its people and deals, and its timeline.
import { useRoute } from "preact-iso";
import { api, ok } from "../api/client.ts";
import { useDirectory } from "../data/directory.ts";
import { money, t, tx } from "../i18n/index.ts";
import { Timeline } from "../records/timeline.tsx";
import { can, useSession } from "../session.ts";
import { ErrorNote, Loading, PageTitle } from "../ui/controls.tsx";
import { useQuery } from "../ui/hooks.ts";

export default function CompanyPage() {
  const { params } = useRoute();
  const { me } = useSession();
  const people = useDirectory();
  const id = params.id ?? "";
  const view = useQuery(
    () =>
      Promise.all([
        ok(api.GET("/api/v1/companies/{id}", { params: { path: { id } } })),
        ok(api.GET("/api/v1/contacts", { params: { query: { company: id, limit: 50 } } })),
        ok(api.GET("/api/v1/deals", { params: { query: { companyId: id, limit: 50 } } })),
      ]),
    [id],
  );
  if (view.error) return <ErrorNote error={view.error} retry={view.reload} />;
  if (!view.data) return <Loading />;
  const [company, contacts, deals] = view.data;
  return (
    <article class="record">
      <PageTitle>{company.name}</PageTitle>
      <div class="record-grid">
        <div class="side">
          <section class="card" aria-labelledby="company-details">
            <h2 id="company-details">{t("company.details")}</h2>
            <dl class="props">
              <dt>{t("company.domain")}</dt>
              <dd>{company.domain ?? "–"}</dd>
              <dt>{t("company.industry")}</dt>
              <dd>{company.industry ?? "–"}</dd>
              <dt>{t("company.size")}</dt>
              <dd>{company.size ?? "–"}</dd>
              <dt>{t("company.country")}</dt>
              <dd>{company.country ?? "–"}</dd>
              <dt>{t("common.owner")}</dt>
              <dd>{people?.userName(company.ownerId) || "–"}</dd>
            </dl>
          </section>
          <section class="card" aria-labelledby="company-people">
            <h2 id="company-people">{t("company.people")}</h2>
            {contacts.items.length ? (
              <ul class="plain">
                {contacts.items.map((contact) => (
                  <li key={contact.id}>
                    <a href={`/contacts/${contact.id}`}>{contact.name}</a>
                    {contact.jobTitle ? ` · ${contact.jobTitle}` : ""}
                  </li>
                ))}
              </ul>
            ) : (
              <p class="muted">{t("company.noPeople")}</p>
            )}
          </section>
          <section class="card" aria-labelledby="company-deals">
            <h2 id="company-deals">{t("nav.deals")}</h2>
            {deals.items.length ? (
              <ul class="plain">
                {deals.items.map((deal) => (
                  <li key={deal.id}>
                    <a href={`/deals/${deal.id}`}>{deal.name}</a> · {money(deal.amount, deal.currency)} ·{" "}
                    {deal.stageName} · {tx("dealStatus", deal.status)}
                  </li>
                ))}
              </ul>
            ) : (
              <p class="muted">{t("contact.noDeals")}</p>
            )}
          </section>
        </div>
        <Timeline subject={{ companyId: company.id }} canWrite={can.write(me)} />
      </div>
    </article>
  );
}
