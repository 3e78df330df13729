// Record ids: UUIDv7, sortable by creation time and unguessable, never sequential integers.
import { v7 } from "uuid";

export function newId(): string {
  return v7();
}
