// The signed-in frame: a skip link, the header (global search, notifications, profile), the navigation
// (a menu button at phone widths) and the routes, each loaded on first visit.

import { useEffect, useState } from "preact/hooks";
import { ErrorBoundary, lazy, Route, Router, useLocation } from "preact-iso";
import { type MessageKey, t } from "../i18n/index.ts";
import { can, useSession } from "../session.ts";
import { NotificationsButton } from "./notifications.tsx";
import { SearchDialog } from "./search.tsx";

const Dashboard = lazy(() => import("../routes/dashboard.tsx"));
const Board = lazy(() => import("../routes/board.tsx"));
const Contacts = lazy(() => import("../routes/contacts.tsx"));
const Companies = lazy(() => import("../routes/companies.tsx"));
const Deals = lazy(() => import("../routes/deals.tsx"));
const Tasks = lazy(() => import("../routes/tasks.tsx"));
const Contact = lazy(() => import("../routes/contact.tsx"));
const Company = lazy(() => import("../routes/company.tsx"));
const Deal = lazy(() => import("../routes/deal.tsx"));
const Notifications = lazy(() => import("../routes/notifications.tsx"));
const Profile = lazy(() => import("../routes/profile.tsx"));
const Settings = lazy(() => import("../routes/settings/index.tsx"));
const NotFound = lazy(() => import("../routes/not-found.tsx"));

const NAV: {
  href: string;
  label: MessageKey;
  show?: (me: ReturnType<typeof useSession>["me"]) => boolean;
}[] = [
  { href: "/", label: "nav.dashboard" },
  { href: "/board", label: "nav.board" },
  { href: "/contacts", label: "nav.contacts" },
  { href: "/companies", label: "nav.companies" },
  { href: "/deals", label: "nav.deals" },
  { href: "/tasks", label: "nav.tasks" },
  { href: "/settings", label: "nav.settings", show: can.manage },
];

function isCurrent(href: string, path: string): boolean {
  return href === "/" ? path === "/" : path === href || path.startsWith(`${href}/`);
}

export function Shell() {
  const { me, logout } = useSession();
  const { path } = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  const [searchOpen, setSearchOpen] = useState(false);

  useEffect(() => setMenuOpen(false), [path]);
  useEffect(() => {
    // "/" or Ctrl+K (⌘K) opens the search from anywhere but a text field.
    const onKey = (e: KeyboardEvent) => {
      const typing = (e.target as HTMLElement | null)?.closest("input, textarea, select, [contenteditable]");
      if ((e.key === "k" && (e.ctrlKey || e.metaKey)) || (e.key === "/" && !typing)) {
        e.preventDefault();
        setSearchOpen(true);
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);

  return (
    <div class="shell">
      <a class="skip" href="#main">
        {t("shell.skip")}
      </a>
      <header class="top">
        <button
          type="button"
          class="menu-button"
          aria-expanded={menuOpen}
          aria-controls="main-nav"
          onClick={() => setMenuOpen(!menuOpen)}
        >
          {t("shell.menu")}
        </button>
        <a href="/" class="brand">
          Edge CRM
        </a>
        <button
          type="button"
          class="search-button"
          onClick={() => setSearchOpen(true)}
          aria-keyshortcuts="Control+K /"
        >
          <span>{t("shell.search")}</span> <kbd>Ctrl K</kbd>
        </button>
        <NotificationsButton />
        <a href="/profile" class="profile-link" aria-current={path === "/profile" ? "page" : undefined}>
          {me.name}
        </a>
        <button type="button" class="link logout" onClick={logout}>
          {t("shell.logout")}
        </button>
      </header>
      <nav id="main-nav" class={menuOpen ? "open" : ""} aria-label={t("shell.navigation")}>
        <ul>
          {NAV.filter((item) => !item.show || item.show(me)).map((item) => (
            <li key={item.href}>
              <a href={item.href} aria-current={isCurrent(item.href, path) ? "page" : undefined}>
                {t(item.label)}
              </a>
            </li>
          ))}
          <li class="nav-logout">
            <button type="button" class="link" onClick={logout}>
              {t("shell.logout")}
            </button>
          </li>
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        <ErrorBoundary>
          <Router onLoadStart={() => undefined}>
            <Route path="/" component={Dashboard} />
            <Route path="/board" component={Board} />
            <Route path="/board/:pipelineId" component={Board} />
            <Route path="/contacts" component={Contacts} />
            <Route path="/contacts/:id" component={Contact} />
            <Route path="/companies" component={Companies} />
            <Route path="/companies/:id" component={Company} />
            <Route path="/deals" component={Deals} />
            <Route path="/deals/:id" component={Deal} />
            <Route path="/tasks" component={Tasks} />
            <Route path="/notifications" component={Notifications} />
            <Route path="/profile" component={Profile} />
            <Route path="/settings" component={Settings} />
            <Route path="/settings/:section" component={Settings} />
            <Route default component={NotFound} />
          </Router>
        </ErrorBoundary>
      </main>
      <SearchDialog open={searchOpen} onClose={() => setSearchOpen(false)} />
    </div>
  );
}
