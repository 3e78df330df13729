// The SPA's entry. For now it shows whether the Worker and its database are up, from GET /health.
interface Health {
  status: "ok" | "unavailable";
  db: string;
  version: string;
  cron?: { lastRunAt: number | null };
}

const list = document.querySelector<HTMLDListElement>("#status");

function render(rows: [string, string, boolean?][]): void {
  if (!list) return;
  list.replaceChildren(
    ...rows.flatMap(([label, value, ok]) => {
      const dt = document.createElement("dt");
      dt.textContent = label;
      const dd = document.createElement("dd");
      dd.textContent = value;
      if (ok !== undefined) dd.className = ok ? "ok" : "bad";
      return [dt, dd];
    }),
  );
  list.setAttribute("aria-busy", "false");
}

async function refresh(): Promise<void> {
  try {
    const response = await fetch("/health", { headers: { Accept: "application/json" } });
    const health = (await response.json()) as Health;
    const lastRun = health.cron?.lastRunAt;
    render([
      ["Worker", `up (version ${health.version})`, true],
      ["Database", health.db, health.db === "ok"],
      [
        "Scheduler",
        lastRun ? `last ran ${new Date(lastRun).toLocaleTimeString()}` : "not run yet",
        Boolean(lastRun),
      ],
    ]);
  } catch {
    render([["Worker", "unreachable: is `npm start` running?", false]]);
  }
}

void refresh();
setInterval(refresh, 15_000);
