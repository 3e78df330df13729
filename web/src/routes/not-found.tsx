// A path the app does not know.
import { t } from "../i18n/index.ts";
import { PageTitle } from "../ui/controls.tsx";

export default function NotFound() {
  return (
    <section>
      <PageTitle>{t("notFound.title")}</PageTitle>
      <p>{t("notFound.text")}</p>
      <p>
        <a href="/">{t("notFound.home")}</a>
      </p>
    </section>
  );
}
