// Hrana streams over HTTP: each pipeline names its stream by a baton that is random, single-use and
// replaced in every response; a stream left idle for streamIdleMs is closed and its transaction rolled back.

import { randomBytes } from "node:crypto";
import { ProtocolError } from "./errors.ts";
import type { Namespace } from "./namespaces.ts";

export interface Stream {
  readonly id: number;
  readonly namespace: Namespace;
  /** SQL texts stored with store_sql, by the client's id; their scope is this stream. */
  readonly sqls: Map<number, string>;
  /** This stream's PRAGMA foreign_keys, restored on the shared connection whenever it takes a turn. */
  foreignKeys: boolean;
  /** Set when a pipeline left a transaction open, so the stream keeps the namespace lock. */
  holdsTransaction: boolean;
  closed: boolean;
}

interface Parked {
  stream: Stream;
  timer: NodeJS.Timeout;
}

// Remembered so that a late request gets "expired" rather than "invalid"; bounded, oldest forgotten first.
const EXPIRED_BATONS_KEPT = 1024;

/** Ends a stream: rolls back what it left open and hands the connection to the next waiting stream. */
export function closeStream(stream: Stream): void {
  if (stream.closed) return;
  stream.closed = true;
  stream.sqls.clear();
  const { engine, lock } = stream.namespace;
  if (lock.owner === stream) {
    engine.rollback();
    lock.release(stream);
  }
  stream.holdsTransaction = false;
}

export class StreamRegistry {
  readonly #idleMs: number;
  readonly #parked = new Map<string, Parked>();
  readonly #expired = new Set<string>();
  #nextId = 1;

  constructor(idleMs: number) {
    this.#idleMs = idleMs;
  }

  open(namespace: Namespace): Stream {
    return {
      id: this.#nextId++,
      namespace,
      sqls: new Map(),
      foreignKeys: true,
      holdsTransaction: false,
      closed: false,
    };
  }

  /** Claims the stream a baton names; the baton is spent, so a second request with it is refused. */
  take(baton: string, namespace: Namespace): Stream {
    const parked = this.#parked.get(baton);
    if (parked === undefined) {
      if (this.#expired.has(baton)) {
        throw new ProtocolError(
          400,
          `The stream has expired: it was idle for more than ${this.#idleMs} ms, and any transaction it had open was rolled back`,
          "STREAM_EXPIRED",
        );
      }
      throw new ProtocolError(
        400,
        "Invalid baton: unknown, already used, or from another server",
        "BATON_INVALID",
      );
    }
    if (parked.stream.namespace !== namespace) {
      throw new ProtocolError(
        400,
        "Invalid baton: it belongs to a stream of another namespace",
        "BATON_INVALID",
      );
    }
    this.#parked.delete(baton);
    clearTimeout(parked.timer);
    return parked.stream;
  }

  /** Issues the next baton of a stream between two pipelines and starts its idle clock. */
  park(stream: Stream): string {
    const baton = randomBytes(32).toString("base64url");
    const timer = setTimeout(() => this.#expire(baton), this.#idleMs);
    timer.unref();
    this.#parked.set(baton, { stream, timer });
    return baton;
  }

  /** Closes the stream a baton names, if any: its request was refused, and the client drops the stream. */
  discard(baton: string): void {
    const parked = this.#parked.get(baton);
    if (parked === undefined) return;
    this.#parked.delete(baton);
    clearTimeout(parked.timer);
    closeStream(parked.stream);
  }

  closeAll(): void {
    for (const baton of [...this.#parked.keys()]) this.discard(baton);
  }

  #expire(baton: string): void {
    const parked = this.#parked.get(baton);
    if (parked === undefined) return;
    this.#parked.delete(baton);
    closeStream(parked.stream);
    this.#expired.add(baton);
    if (this.#expired.size > EXPIRED_BATONS_KEPT) {
      const oldest = this.#expired.values().next();
      if (!oldest.done) this.#expired.delete(oldest.value);
    }
  }
}
