// The live preview of a form being built: the hosted page's own renderer (functions/forms/page.ts, which the
// embed shows too), fed the builder's draft, so the preview is what visitors will see.
import type { Lang, PublicForm } from "../../../../functions/forms/field-rules.ts";
import { renderFormPage } from "../../../../functions/forms/page.ts";

export function previewDocument(form: PublicForm, lang: Lang): string {
  return renderFormPage({ form, lang, action: "#", submissionId: "preview", renderedAt: 0 });
}
