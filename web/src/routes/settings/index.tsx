// Settings, by role: each section its own lazily loaded chunk. Admins see everything; managers what they
// may change or read (forms, rules, automation, webhooks' logs); the API refuses the rest anyway.
import { lazy, useRoute } from "preact-iso";
import { type MessageKey, t } from "../../i18n/index.ts";
import { can, type Me, useSession } from "../../session.ts";
import { PageTitle } from "../../ui/controls.tsx";

interface Section {
  id: string;
  label: MessageKey;
  show: (me: Me) => boolean;
  // biome-ignore lint/suspicious/noExplicitAny: lazy components take no props here
  component: any;
}

const SECTIONS: Section[] = [
  { id: "users", label: "settings.users", show: can.manage, component: lazy(() => import("./people.tsx")) },
  {
    id: "pipelines",
    label: "settings.pipelines",
    show: can.manage,
    component: lazy(() => import("./pipelines.tsx")),
  },
  {
    id: "custom-fields",
    label: "settings.customFields",
    show: can.manage,
    component: lazy(() => import("./custom-fields.tsx")),
  },
  { id: "forms", label: "settings.forms", show: can.manage, component: lazy(() => import("./forms.tsx")) },
  { id: "rules", label: "settings.rules", show: can.manage, component: lazy(() => import("./rules.tsx")) },
  {
    id: "automation",
    label: "settings.automation",
    show: can.manage,
    component: lazy(() => import("./automation.tsx")),
  },
  {
    id: "webhooks",
    label: "settings.webhooks",
    show: can.manage,
    component: lazy(() => import("./webhooks.tsx")),
  },
  {
    id: "api-keys",
    label: "settings.apiKeys",
    show: can.manage,
    component: lazy(() => import("./api-keys.tsx")),
  },
  { id: "email", label: "settings.email", show: can.manage, component: lazy(() => import("./email.tsx")) },
  {
    id: "organisation",
    label: "settings.organisation",
    show: can.admin,
    component: lazy(() => import("./organisation.tsx")),
  },
  { id: "audit", label: "settings.audit", show: can.admin, component: lazy(() => import("./audit.tsx")) },
];

export default function Settings() {
  const { me } = useSession();
  const { params } = useRoute();
  const visible = SECTIONS.filter((section) => section.show(me));
  const current = visible.find((section) => section.id === params.section) ?? visible[0];
  if (!current) {
    return (
      <section>
        <PageTitle>{t("nav.settings")}</PageTitle>
        <p>{t("settings.nothing")}</p>
      </section>
    );
  }
  const Current = current.component;
  return (
    <section>
      <PageTitle>
        {t("nav.settings")}: {t(current.label)}
      </PageTitle>
      <div class="settings-layout">
        <nav class="settings-nav" aria-label={t("nav.settings")}>
          <ul>
            {visible.map((section) => (
              <li key={section.id}>
                <a
                  href={`/settings/${section.id}`}
                  aria-current={section.id === current.id ? "page" : undefined}
                >
                  {t(section.label)}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="settings-body">
          <Current key={current.id} />
        </div>
      </div>
    </section>
  );
}
