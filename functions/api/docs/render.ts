// Renders an OpenAPI 3.1 document as one self-contained HTML page: no script, nothing loaded from elsewhere,
// so the reference works offline and costs the Worker bundle a few kilobytes instead of a UI framework.

type Json = Record<string, unknown>;

interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: Json[];
  requestBody?: { content?: Record<string, { schema?: Json }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: Json }> }>;
  security?: Record<string, string[]>[];
}

export interface OpenApiDocument {
  info?: { title?: string; version?: string; description?: string };
  paths?: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Json> };
}

const METHODS = ["get", "post", "put", "patch", "delete"] as const;

export function renderReference(doc: OpenApiDocument): string {
  const title = doc.info?.title ?? "API reference";
  const byTag = new Map<string, { method: string; path: string; op: Operation }[]>();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const tag = op.tags?.[0] ?? "Other";
      byTag.set(tag, [...(byTag.get(tag) ?? []), { method, path, op }]);
    }
  }
  const tags = [...byTag.keys()].sort((a, b) => a.localeCompare(b));
  const schemas = Object.entries(doc.components?.schemas ?? {}).sort(([a], [b]) => a.localeCompare(b));

  const nav = tags.map((tag) => `<li><a href="#tag-${slug(tag)}">${esc(tag)}</a></li>`).join("");
  const sections = tags
    .map((tag) => {
      const ops = (byTag.get(tag) ?? []).map(({ method, path, op }) => renderOperation(method, path, op));
      return `<section id="tag-${slug(tag)}"><h2>${esc(tag)}</h2>${ops.join("")}</section>`;
    })
    .join("");
  const models = schemas
    .map(
      ([name, schema]) =>
        `<div class="model" id="schema-${slug(name)}"><h3>${esc(name)}</h3>${renderSchema(schema)}</div>`,
    )
    .join("");

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style></head>
<body><nav><h1>${esc(title)}</h1><p>Version ${esc(doc.info?.version ?? "")} · <a href="/api/openapi.json">openapi.json</a></p>
<ul>${nav}<li><a href="#schemas">Schemas</a></li></ul></nav>
<main><p>${esc(doc.info?.description ?? "")}</p>${sections}
<section id="schemas"><h2>Schemas</h2>${models}</section></main></body></html>`;
}

function renderOperation(method: string, path: string, op: Operation): string {
  const id = `op-${method}-${slug(path)}`;
  const params = (op.parameters ?? [])
    .map((p) => {
      const schema = (p.schema ?? {}) as Json;
      const required = p.required ? " <em>required</em>" : "";
      const about = typeof p.description === "string" ? ` — ${esc(p.description)}` : "";
      return `<tr><td><code>${esc(String(p.name))}</code>${required}</td><td>${esc(String(p.in))}</td><td>${typeName(schema)}</td><td>${about}</td></tr>`;
    })
    .join("");
  const body = op.requestBody?.content
    ? Object.entries(op.requestBody.content)
        .map(
          ([type, media]) =>
            `<h4>Request body <small>${esc(type)}</small></h4>${renderSchema(media.schema ?? {})}`,
        )
        .join("")
    : "";
  const responses = Object.entries(op.responses ?? {})
    .map(([status, r]) => {
      const media = Object.entries(r.content ?? {})
        .map(([type, m]) => `${esc(type)} ${typeName(m.schema ?? {})}`)
        .join(", ");
      return `<tr><td><code>${esc(status)}</code></td><td>${esc(r.description ?? "")}</td><td>${media}</td></tr>`;
    })
    .join("");
  const auth = op.security?.length
    ? `<p class="auth">Auth: ${op.security.map((s) => Object.keys(s).map(esc).join(" + ")).join(" or ")}</p>`
    : `<p class="auth">No authentication.</p>`;
  return `<article id="${id}"><h3><span class="m ${method}">${method.toUpperCase()}</span> <code>${esc(path)}</code></h3>
<p><strong>${esc(op.summary ?? "")}</strong></p>${paragraphs(op.description ?? "")}${auth}
${params ? `<h4>Parameters</h4><table>${params}</table>` : ""}${body}
<h4>Responses</h4><table>${responses}</table></article>`;
}

/** A schema as a small table of its properties, or its type when it has none; `$ref`s link to the model. */
function renderSchema(schema: Json): string {
  const properties = schema.properties as Record<string, Json> | undefined;
  if (!properties) return `<p>${typeName(schema)}</p>`;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const rows = Object.entries(properties)
    .map(([name, prop]) => {
      const about = typeof prop.description === "string" ? esc(prop.description) : "";
      const req = required.has(name) ? " <em>required</em>" : "";
      return `<tr><td><code>${esc(name)}</code>${req}</td><td>${typeName(prop)}</td><td>${about}</td></tr>`;
    })
    .join("");
  return `<table>${rows}</table>`;
}

function typeName(schema: Json, depth = 0): string {
  if (depth > 4) return "…";
  if (typeof schema.$ref === "string") {
    const name = schema.$ref.split("/").pop() ?? schema.$ref;
    return `<a href="#schema-${slug(name)}">${esc(name)}</a>`;
  }
  for (const combiner of ["anyOf", "oneOf", "allOf"] as const) {
    const parts = schema[combiner] as Json[] | undefined;
    if (parts) return parts.map((p) => typeName(p, depth + 1)).join(combiner === "allOf" ? " & " : " | ");
  }
  if (Array.isArray(schema.enum))
    return schema.enum.map((v) => `<code>${esc(JSON.stringify(v))}</code>`).join(" | ");
  const type = Array.isArray(schema.type) ? schema.type.join(" | ") : String(schema.type ?? "any");
  if (type === "array" && schema.items) return `${typeName(schema.items as Json, depth + 1)}[]`;
  const format = typeof schema.format === "string" ? ` (${esc(schema.format)})` : "";
  return `${esc(type)}${format}`;
}

function paragraphs(text: string): string {
  return text
    .split(/\n{2,}/)
    .filter((p) => p.trim())
    .map((p) => `<p>${esc(p).replace(/`([^`]+)`/g, "<code>$1</code>")}</p>`)
    .join("");
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const STYLE = `body{margin:0;font:15px/1.5 system-ui,sans-serif;color:#1d232b;display:flex}
nav{position:sticky;top:0;height:100vh;overflow:auto;width:15rem;flex:none;padding:1rem;background:#f4f6f8;box-sizing:border-box}
nav h1{font-size:1.2rem}nav ul{list-style:none;padding:0}main{padding:1rem 2rem;max-width:60rem;min-width:0}
article,.model{border-top:1px solid #dde2e7;padding:.5rem 0}h3 code{font-size:1rem}
table{border-collapse:collapse;width:100%;margin:.25rem 0}td{border-bottom:1px solid #eef1f4;padding:.2rem .5rem;vertical-align:top}
.m{display:inline-block;min-width:4rem;text-align:center;border-radius:4px;color:#fff;font-size:.8rem;padding:.1rem .3rem}
.get{background:#2f7d32}.post{background:#1565c0}.put{background:#6a1b9a}.patch{background:#ef6c00}.delete{background:#c62828}
.auth{color:#5b6570;font-size:.9rem}em{color:#c62828;font-size:.8rem;font-style:normal}a{color:#1565c0}`;
