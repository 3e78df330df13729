// Refuses text with NUL characters in the path, the query or a JSON body before anything reads it: no field
// of ours means to hold one, and databases treat them differently (some cut the text short).
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";

const NUL_MESSAGE = "Text must not contain NUL characters (\\u0000).";

export const rejectNul = createMiddleware<AppEnv>(async (c, next) => {
  let decoded: string;
  try {
    decoded = decodeURIComponent(new URL(c.req.url).pathname + new URL(c.req.url).search);
  } catch {
    throw new ApiError("bad_request", "The URL is not validly percent-encoded.");
  }
  if (decoded.includes("\u0000")) throw new ApiError("bad_request", NUL_MESSAGE);
  // Inbound webhooks keep their bodies byte for byte (signatures are over them); their consumer drops NULs
  // from the values it maps.
  if (c.req.header("Content-Type")?.includes("json") && !c.req.path.startsWith("/hooks/")) {
    // JSON can only carry a NUL as an escape. The bytes are cached as they came, for whatever reads them next.
    const text = new TextDecoder().decode(await c.req.arrayBuffer());
    if (/\\u0000/i.test(text)) throw new ApiError("validation_failed", NUL_MESSAGE);
  }
  await next();
});
