// A small SQL lexer for what the libsql binding does not tell us: where statements end (so `execute` can
// refuse a string holding several statements instead of silently running only the first), whether a
// statement is an EXPLAIN, and the names of its parameters.
//
// Not EXPLAIN for the parameters: the binding never resets a stepped EXPLAIN statement, and SQLite counts an
// unreset EXPLAIN of a write as a writer in progress, which makes every later COMMIT fail until the
// garbage collector finalizes it.

interface Token {
  kind: "word" | "param" | "separator" | "other";
  /** Upper-cased for words; the parameter as written (":name", "?", "?3") for params. */
  text: string;
  start: number;
  end: number;
}

export interface SqlStatement {
  /** The statement without its terminating semicolon. */
  text: string;
  /** Upper-cased leading words, enough to recognise EXPLAIN [QUERY PLAN] and CREATE [TEMP] TRIGGER. */
  head: string[];
  /** Offset in `text` just past the leading EXPLAIN [QUERY PLAN], or 0. */
  explainEnd: number;
  /** Parameters in order of appearance, as written. */
  params: string[];
}

// SQLITE_MAX_VARIABLE_NUMBER's default.
const MAX_PARAMETER_NUMBER = 32766;

const isSpace = (c: string): boolean => c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f";
const isWordStart = (c: string): boolean => /[A-Za-z_]/.test(c) || c.charCodeAt(0) > 0x7f;
const isWordPart = (c: string): boolean => /[A-Za-z0-9_$]/.test(c) || c.charCodeAt(0) > 0x7f;
const isDigit = (c: string): boolean => c >= "0" && c <= "9";

/** Skips a quoted run whose quote is doubled to escape it; unterminated runs end with the text. */
function skipQuoted(sql: string, from: number, close: string): number {
  let i = from + 1;
  while (i < sql.length) {
    if (sql[i] === close) {
      if (close !== "]" && sql[i + 1] === close) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return sql.length;
}

/** End of a ":name" / "@name" / "$name" parameter: SQLite also allows "::" inside and a Tcl-style "(...)". */
function skipNamedParam(sql: string, from: number): number {
  let i = from + 1;
  let chars = 0;
  while (i < sql.length) {
    const c = sql[i] ?? "";
    if (isWordPart(c)) {
      chars++;
      i++;
    } else if (c === "(" && chars > 0) {
      const close = sql.indexOf(")", i);
      return close < 0 ? sql.length : close + 1;
    } else if (c === ":" && sql[i + 1] === ":") {
      i += 2;
    } else {
      break;
    }
  }
  return chars > 0 ? i : from + 1;
}

function* tokens(sql: string): Generator<Token> {
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] ?? "";
    const start = i;
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === "-" && sql[i + 1] === "-") {
      const eol = sql.indexOf("\n", i);
      i = eol < 0 ? sql.length : eol + 1;
      continue;
    }
    if (c === "/" && sql[i + 1] === "*") {
      const close = sql.indexOf("*/", i + 2);
      i = close < 0 ? sql.length : close + 2;
      continue;
    }
    let kind: Token["kind"] = "other";
    if (c === "'" || c === '"' || c === "`" || c === "[") {
      i = skipQuoted(sql, i, c === "[" ? "]" : c);
    } else if (c === ";") {
      kind = "separator";
      i++;
    } else if (c === "?") {
      kind = "param";
      i++;
      while (i < sql.length && isDigit(sql[i] ?? "")) i++;
    } else if (c === ":" || c === "@" || c === "$") {
      i = skipNamedParam(sql, i);
      if (i - start > 1) kind = "param";
    } else if (isWordStart(c)) {
      kind = "word";
      while (i < sql.length && isWordPart(sql[i] ?? "")) i++;
    } else {
      i++;
    }
    const text = sql.slice(start, i);
    yield { kind, text: kind === "word" ? text.toUpperCase() : text, start, end: i };
  }
}

function isCreateTrigger(head: string[]): boolean {
  if (head[0] !== "CREATE") return false;
  const next = head[1] === "TEMP" || head[1] === "TEMPORARY" ? head[2] : head[1];
  return next === "TRIGGER";
}

/**
 * Splits SQL text into statements, dropping empty ones (whitespace, comments, stray semicolons). Inside
 * CREATE TRIGGER the body's semicolons do not end the statement: BEGIN and CASE open a level, END closes
 * one, and only a semicolon at level zero ends it (the same idea as sqlite3_complete()).
 */
export function splitStatements(sql: string): SqlStatement[] {
  const statements: SqlStatement[] = [];
  let current: { start: number; end: number; head: string[]; params: string[]; depth: number } | undefined;
  const flush = (): void => {
    if (current) {
      statements.push(makeStatement(sql.slice(current.start, current.end), current.head, current.params));
    }
    current = undefined;
  };
  for (const token of tokens(sql)) {
    if (token.kind === "separator" && !(current && current.depth > 0)) {
      flush();
      continue;
    }
    current ??= { start: token.start, end: token.end, head: [], params: [], depth: 0 };
    current.end = token.end;
    if (current.head.length < 4) current.head.push(token.kind === "word" ? token.text : "");
    if (token.kind === "param") current.params.push(token.text);
    if (token.kind === "word" && isCreateTrigger(current.head)) {
      if (token.text === "BEGIN" || token.text === "CASE") current.depth++;
      else if (token.text === "END" && current.depth > 0) current.depth--;
    }
  }
  flush();
  return statements;
}

function firstTokens(sql: string, count: number): Token[] {
  const first: Token[] = [];
  for (const token of tokens(sql)) {
    if (first.push(token) >= count) break;
  }
  return first;
}

function makeStatement(text: string, head: string[], params: string[]): SqlStatement {
  let explainEnd = 0;
  if (head[0] === "EXPLAIN") {
    const [explain, query, plan] = firstTokens(text, 3);
    explainEnd = (query?.text === "QUERY" && plan?.text === "PLAN" ? plan.end : explain?.end) ?? 0;
  }
  return { text, head, explainEnd, params };
}

/**
 * The name of each parameter 1..n, as sqlite3_bind_parameter_name() gives it: "?" takes the next number,
 * "?NNN" takes NNN, a name takes the next number on first use and keeps it; "?" parameters have no name.
 */
export function parameterNames(statement: SqlStatement): Array<string | null> {
  const names: Array<string | null> = [];
  const indexOf = new Map<string, number>();
  for (const param of statement.params) {
    if (param === "?") {
      names.push(null);
    } else if (param.startsWith("?")) {
      const index = Number(param.slice(1));
      if (index > MAX_PARAMETER_NUMBER) continue; // SQLite refuses it when preparing
      while (names.length < index) names.push(null);
      if (index >= 1 && names[index - 1] === null) names[index - 1] = param;
    } else if (!indexOf.has(param)) {
      names.push(param);
      indexOf.set(param, names.length);
    }
  }
  return names;
}
