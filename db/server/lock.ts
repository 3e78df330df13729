// An asynchronous lock with a named owner, handed over in arrival order. A namespace's single connection is
// held with it by the stream that has a transaction open, so other streams wait without blocking the
// event loop (see pipeline.ts for the whole design).

interface Waiter {
  owner: object;
  resolve: () => void;
  reject: (error: Error) => void;
}

export class OwnerLock {
  #owner: object | undefined;
  #waiters: Waiter[] = [];
  #abortedWith: Error | undefined;

  get owner(): object | undefined {
    return this.#owner;
  }

  /** Resolves once `owner` holds the lock; at once if it is free or `owner` already holds it. */
  acquire(owner: object): Promise<void> {
    if (this.#abortedWith) return Promise.reject(this.#abortedWith);
    if (this.#owner === undefined || this.#owner === owner) {
      this.#owner = owner;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => this.#waiters.push({ owner, resolve, reject }));
  }

  /** Passes the lock to the next waiter; a no-op unless `owner` holds it. */
  release(owner: object): void {
    if (this.#owner !== owner) return;
    const next = this.#waiters.shift();
    this.#owner = next?.owner;
    next?.resolve();
  }

  /** Fails every waiter and every later acquire: the namespace is closing. */
  abort(error: Error): void {
    this.#abortedWith = error;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
  }
}
