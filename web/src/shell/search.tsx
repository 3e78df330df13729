// Global search (Ctrl+K or /): contacts, companies and deals together, best first, as a combobox: arrows
// move through the results, Enter opens one.

import { useEffect, useRef, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { api, ok, type Schemas } from "../api/client.ts";
import { t, tx } from "../i18n/index.ts";
import { Dialog } from "../ui/controls.tsx";
import { describe } from "../ui/problem.ts";

type Hit = Schemas["SearchHit"];
const HREF: Record<Hit["type"], string> = { contact: "/contacts", company: "/companies", deal: "/deals" };

export function SearchDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { route } = useLocation();
  const [q, setQ] = useState("");
  const [hits, setHits] = useState<Hit[]>([]);
  const [active, setActive] = useState(0);
  const [message, setMessage] = useState("");
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (open) {
      setQ("");
      setHits([]);
      setMessage("");
      requestAnimationFrame(() => input.current?.focus());
    }
  }, [open]);

  useEffect(() => {
    const words = q.trim();
    if (!words) {
      setHits([]);
      return;
    }
    let current = true;
    const timer = setTimeout(async () => {
      try {
        const page = await ok(api.GET("/api/v1/search", { params: { query: { q: words, limit: 20 } } }));
        if (!current) return;
        setHits(page.items);
        setActive(0);
        setMessage(page.items.length ? t("search.count", { n: page.items.length }) : t("search.none"));
      } catch (error) {
        if (current) setMessage(describe(error));
      }
    }, 200);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [q]);

  const go = (hit: Hit | undefined) => {
    if (!hit) return;
    onClose();
    route(`${HREF[hit.type]}/${hit.id}`);
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const step = e.key === "ArrowDown" ? 1 : -1;
      setActive((index) => (hits.length ? (index + step + hits.length) % hits.length : 0));
    } else if (e.key === "Enter") {
      e.preventDefault();
      go(hits[active]);
    }
  };

  return (
    <Dialog title={t("search.title")} open={open} onClose={onClose}>
      <div class="search">
        <label for="global-search">{t("search.label")}</label>
        <input
          id="global-search"
          ref={input}
          type="text"
          role="combobox"
          autoComplete="off"
          aria-expanded={hits.length > 0}
          aria-controls="search-results"
          aria-activedescendant={hits[active] ? `hit-${hits[active]?.id}` : undefined}
          aria-describedby="search-status"
          value={q}
          onInput={(e) => setQ(e.currentTarget.value)}
          onKeyDown={onKeyDown}
        />
        <p id="search-status" class="hint" role="status">
          {message}
        </p>
        <div id="search-results" role="listbox" aria-label={t("search.results")}>
          {hits.map((hit, index) => (
            // biome-ignore lint/a11y/useKeyWithClickEvents: the combobox's input handles the keys (aria-activedescendant)
            <div
              key={`${hit.type}-${hit.id}`}
              id={`hit-${hit.id}`}
              role="option"
              tabIndex={-1}
              aria-selected={index === active}
              class={index === active ? "active" : undefined}
              onClick={() => go(hit)}
            >
              <span class="badge">{tx("record", hit.type)}</span> <strong>{hit.name}</strong>
              {hit.detail && <span class="muted"> · {hit.detail}</span>}
            </div>
          ))}
        </div>
      </div>
    </Dialog>
  );
}
