// The small path language of inbound mappings: where in a payload a value sits. Two spellings:
//   dotted   data.to[0]   form_response.answers[field.ref=email].email   field_data[name="full name"].values[0]
//            (a key, [n] for a list's n-th item (or .n), [key=value] for the first item whose key equals value;
//            $ first means the delivery's root rather than the current event)
//   pointer  /data/to/0   (RFC 6901, ~0 for ~ and ~1 for /)
// Paths are parsed when a mapping is saved, so a bad one is a 422 there, never a failure at delivery time.

export type Step =
  | { kind: "key"; key: string }
  | { kind: "index"; index: number }
  | { kind: "match"; path: string[]; value: string };

export interface ParsedPath {
  /** `$…`: read from the delivery's root, not from the event. */
  root: boolean;
  steps: Step[];
}

export const MAX_PATH_LENGTH = 300;
const MAX_STEPS = 30;

export class PathError extends Error {
  override name = "PathError";
}

function parsePointer(path: string): ParsedPath {
  const steps = path
    .slice(1)
    .split("/")
    .map((token): Step => ({ kind: "key", key: token.replaceAll("~1", "/").replaceAll("~0", "~") }));
  return { root: false, steps: path === "/" ? [{ kind: "key", key: "" }] : steps };
}

const NAME = /^[^.[\]"=]+/;

function parseBracket(text: string, at: number): { step: Step; end: number } {
  const close = findClose(text, at);
  const inner = text.slice(at + 1, close);
  if (/^\d{1,9}$/.test(inner)) return { step: { kind: "index", index: Number(inner) }, end: close + 1 };
  const eq = inner.indexOf("=");
  if (eq <= 0) throw new PathError(`[${inner}] is neither an index ([0]) nor a match ([key=value]).`);
  const keyPath = inner.slice(0, eq).trim();
  let value = inner.slice(eq + 1).trim();
  if (!/^[^.[\]"=]+(\.[^.[\]"=]+)*$/.test(keyPath)) {
    throw new PathError(`In [${inner}], the key before = must be a name or a dotted path of names.`);
  }
  if (value.startsWith('"')) {
    if (!value.endsWith('"') || value.length < 2)
      throw new PathError(`In [${inner}], a quoted value is unclosed.`);
    value = value.slice(1, -1).replaceAll('\\"', '"');
  }
  return { step: { kind: "match", path: keyPath.split("."), value }, end: close + 1 };
}

/** The index of the `]` closing the bracket at `open`, skipping one inside a quoted value. */
function findClose(text: string, open: number): number {
  let quoted = false;
  for (let i = open + 1; i < text.length; i++) {
    const ch = text[i];
    if (ch === "\\" && quoted) {
      i++;
      continue;
    }
    if (ch === '"') quoted = !quoted;
    else if (ch === "]" && !quoted) return i;
  }
  throw new PathError("A [ is not closed.");
}

function parseDotted(path: string): ParsedPath {
  let rest = path;
  let root = false;
  if (rest === "$") return { root: true, steps: [] };
  if (rest.startsWith("$.") || rest.startsWith("$[")) {
    root = true;
    rest = rest.slice(rest[1] === "." ? 2 : 1);
  }
  const steps: Step[] = [];
  let i = 0;
  let expectName = true;
  while (i < rest.length) {
    const ch = rest[i];
    if (ch === "[") {
      const { step, end } = parseBracket(rest, i);
      steps.push(step);
      i = end;
      expectName = false;
    } else if (ch === ".") {
      if (expectName) throw new PathError("A path has an empty part (two dots, or a dot at the start).");
      i++;
      expectName = true;
      if (i >= rest.length) throw new PathError("A path ends with a dot.");
    } else {
      if (!expectName) throw new PathError(`Expected . or [ before "${rest.slice(i, i + 20)}".`);
      const name = NAME.exec(rest.slice(i))?.[0];
      if (!name) throw new PathError(`Unexpected character ${JSON.stringify(ch)} in the path.`);
      steps.push(
        /^\d{1,9}$/.test(name) ? { kind: "index", index: Number(name) } : { kind: "key", key: name },
      );
      i += name.length;
      expectName = false;
    }
  }
  return { root, steps };
}

/** Parses a path; throws PathError saying what is wrong. */
export function parsePath(path: string): ParsedPath {
  if (path.length === 0) throw new PathError("A path is not empty.");
  if (path.length > MAX_PATH_LENGTH) throw new PathError(`A path is at most ${MAX_PATH_LENGTH} characters.`);
  const parsed = path.startsWith("/") ? parsePointer(path) : parseDotted(path);
  if (parsed.steps.length > MAX_STEPS) throw new PathError(`A path has at most ${MAX_STEPS} parts.`);
  return parsed;
}

/** The problem with a path, or null when it parses. */
export function pathProblem(path: string): string | null {
  try {
    parsePath(path);
    return null;
  } catch (error) {
    return error instanceof PathError ? error.message : String(error);
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function step(value: unknown, s: Step): unknown {
  if (s.kind === "key") {
    if (isRecord(value)) return Object.hasOwn(value, s.key) ? value[s.key] : undefined;
    // A pointer's tokens are keys; on a list they are indexes.
    if (Array.isArray(value) && /^\d{1,9}$/.test(s.key)) return value[Number(s.key)];
    return undefined;
  }
  if (s.kind === "index") {
    if (Array.isArray(value)) return value[s.index];
    return isRecord(value) ? value[String(s.index)] : undefined;
  }
  if (!Array.isArray(value)) return undefined;
  return value.find((item) => {
    const found = s.path.reduce<unknown>((at, key) => step(at, { kind: "key", key }), item);
    return (
      (typeof found === "string" || typeof found === "number" || typeof found === "boolean") &&
      String(found) === s.value
    );
  });
}

/** The value at `path` (undefined when there is none): in `current`, or in `root` for a `$` path. */
export function readPath(path: string | ParsedPath, current: unknown, root: unknown = current): unknown {
  const parsed = typeof path === "string" ? parsePath(path) : path;
  return parsed.steps.reduce<unknown>((at, s) => step(at, s), parsed.root ? root : current);
}
