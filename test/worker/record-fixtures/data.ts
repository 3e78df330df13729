// Fixtures for data in and out: an import (its maker's, and every admin's), the list an export names, a
// duplicate pair of two contacts rep A owns (seen as those contacts are), and an erasure request (admins').
import { newId } from "../../../db/ids.ts";
import { readHeader } from "../../../db/imports/csv.ts";
import { contacts, duplicatePairs, importParts, imports, privacyRequests } from "../../../db/schema/index.ts";
import type { BodyMaker } from "./bodies.ts";
import { type FixtureMaker, VISIBLE_TO_OWNER_REP_A } from "./types.ts";

const FILE = new TextEncoder().encode("email,name\nfixture@example.com,Fixture Person\n");

export const dataFixtures: Record<string, FixtureMaker> = {
  import: async ({ db, people }) => {
    const id = newId();
    const now = Date.now();
    const header = readHeader(FILE);
    if ("error" in header) throw new Error(header.error);
    await db.insert(imports).values({
      id,
      object: "contact",
      status: "uploading",
      sourceName: "Fixture",
      createdBy: people.managerA.id,
      columns: JSON.stringify(header.columns),
      delimiter: header.delimiter,
      newline: header.newline,
      dataStart: header.dataStart,
      preview: JSON.stringify(header.preview),
      parts: 1,
      bytes: FILE.length,
      createdAt: now,
      updatedAt: now,
    });
    await db
      .insert(importParts)
      .values({ importId: id, part: 0, data: FILE as unknown as Buffer, bytes: FILE.length });
    return { id, visibleTo: ["managerA", "admin", "keyWithScope", "keyWithoutScope"] };
  },
  // The list an export names; every caller the route lets through may export what they see of it.
  export_list: async () => ({ id: "contacts" }),
  duplicate: async ({ db, people, teamA }) => {
    const now = Date.now();
    const [a, b] = [newId(), newId()].sort();
    for (const id of [a, b] as string[]) {
      await db.insert(contacts).values({
        id,
        name: "Nguyễn Văn Trùng",
        ownerId: people.repA.id,
        teamId: teamA,
        createdAt: now,
        updatedAt: now,
      });
    }
    const id = newId();
    await db.insert(duplicatePairs).values({
      id,
      recordType: "contact",
      aId: a as string,
      bId: b as string,
      reasons: '["name"]',
      createdAt: now,
      updatedAt: now,
    });
    return { id, visibleTo: VISIBLE_TO_OWNER_REP_A };
  },
  privacy_request: async ({ db, people }) => {
    const id = newId();
    await db.insert(privacyRequests).values({
      id,
      kind: "erase",
      contactId: newId(),
      status: "done",
      requestedBy: people.admin.id,
      createdAt: Date.now(),
      finishedAt: Date.now(),
    });
    return { id };
  },
};

export const dataBodies: Record<string, BodyMaker> = {
  "POST /api/v1/imports": () => ({ object: "contact", sourceName: "Matrix" }),
  "POST /api/v1/imports/{id}/dry-run": () => ({ mapping: { email: "email", name: "name" } }),
  "POST /api/v1/imports/{id}/start": () => ({ mapping: { email: "email", name: "name" } }),
  "POST /api/v1/contacts/{id}/erase": () => ({ reason: "Asked by email" }),
};
