// Namespaces: one database file per name under the data directory, opened on first use (as a copy of the
// template namespace when one is set), each with its connection lock and request counters.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { SqliteEngine } from "./database.ts";
import { ProtocolError } from "./errors.ts";
import { OwnerLock } from "./lock.ts";

export const DEFAULT_NAMESPACE = "default";
const closedError = (): Error => new ProtocolError(503, "The libSQL server is closed", "SERVER_CLOSED");
const NAMESPACE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function isNamespaceName(name: string): boolean {
  return NAMESPACE_NAME.test(name);
}

export interface Counters {
  /** Pipeline (and cursor) HTTP requests received: the database round trips. */
  pipelines: number;
  /** Statements executed: each execute, each batch step that ran, each statement of a sequence. */
  statements: number;
}

export interface Namespace {
  readonly name: string;
  readonly engine: SqliteEngine;
  /** Held by the stream whose transaction is open on `engine`; see pipeline.ts. */
  readonly lock: OwnerLock;
  readonly counters: Counters;
}

export class NamespaceRegistry {
  readonly #dataDir: string;
  #template: string | undefined;
  readonly #open = new Map<string, Promise<Namespace>>();
  readonly #counters = new Map<string, Counters>();
  #closed = false;

  constructor(dataDir: string, template: string | undefined) {
    this.#dataDir = dataDir;
    this.setTemplate(template);
  }

  setTemplate(name: string | undefined): void {
    if (name !== undefined && !isNamespaceName(name))
      throw new Error(`Invalid template namespace name: ${name}`);
    this.#template = name;
  }

  /** The live counters of a namespace, created (at zero) on first use. */
  counters(name: string): Counters {
    let counters = this.#counters.get(name);
    if (counters === undefined) {
      counters = { pipelines: 0, statements: 0 };
      this.#counters.set(name, counters);
    }
    return counters;
  }

  /** A snapshot of the counters; zeros for a namespace never used, which is not created by asking. */
  stats(name: string): Counters {
    const counters = this.#counters.get(name);
    return { pipelines: counters?.pipelines ?? 0, statements: counters?.statements ?? 0 };
  }

  get(name: string): Promise<Namespace> {
    if (this.#closed) return Promise.reject(closedError());
    let namespace = this.#open.get(name);
    if (namespace === undefined) {
      namespace = this.#create(name);
      this.#open.set(name, namespace);
      // A failed open (disk full, bad template) is retried by the next request rather than remembered.
      namespace.catch(() => this.#open.delete(name));
    }
    return namespace;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const opened = await Promise.allSettled(this.#open.values());
    this.#open.clear();
    for (const result of opened) {
      if (result.status !== "fulfilled") continue;
      result.value.lock.abort(closedError());
      result.value.engine.close();
    }
  }

  async #create(name: string): Promise<Namespace> {
    const file = join(this.#dataDir, `${name}.db`);
    const template = this.#template;
    if (template !== undefined && template !== name && !existsSync(file)) {
      const source = await this.get(template);
      // Holding the template's lock means no transaction is half-way through it while it is copied.
      const copier = {};
      await source.lock.acquire(copier);
      try {
        if (!existsSync(file)) source.engine.copyTo(file);
      } finally {
        source.lock.release(copier);
      }
    }
    if (this.#closed) throw closedError();
    return { name, engine: SqliteEngine.open(file), lock: new OwnerLock(), counters: this.counters(name) };
  }
}
