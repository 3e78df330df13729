// A CSV body streamed page after page. The first page is read before the response starts (so a refusal is
// still a proper problem answer); each later page is read when the client has taken the previous one, so
// memory holds one page whatever the size. This is the documented exception to one database round trip per
// request: a page per trip, each checking the caller again.
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";

export interface CsvPage {
  /** CSV text of the page's lines. */
  text: string;
  /** Reads the next page; null when this was the last. */
  next: (() => Promise<CsvPage>) | null;
}

const encoder = new TextEncoder();

export function csvResponse(c: Context<AppEnv>, first: CsvPage, fileName: string): Response {
  let page: CsvPage | null = first;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!page) {
        controller.close();
        return;
      }
      controller.enqueue(encoder.encode(page.text));
      page = page.next ? await page.next() : null;
    },
  });
  return c.body(body, 200, {
    "Content-Type": "text/csv; charset=utf-8",
    "Content-Disposition": `attachment; filename="${fileName.replace(/[^\w.-]/g, "_")}"`,
    "Cache-Control": "no-store",
  });
}
