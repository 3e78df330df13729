// Two-factor authentication for the caller: enrol an authenticator app by its QR code (or the secret typed by
// hand), confirm with a code, keep the recovery codes shown once, renew them, or turn it off.
import { useState } from "preact/hooks";
import { api, ok, type Schemas } from "../api/client.ts";
import { t } from "../i18n/index.ts";
import { download } from "../lists/csv.ts";
import { useSession } from "../session.ts";
import { copyText, TextField } from "../ui/controls.tsx";
import { describe } from "../ui/problem.ts";
import { toast } from "../ui/toast.tsx";

type Enrolment = Schemas["TotpEnrolment"];

export function TwoFactor() {
  const { me, reloadMe } = useSession();
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null);
  const [code, setCode] = useState("");
  const [password, setPassword] = useState("");
  const [codes, setCodes] = useState<string[] | null>(null);
  const [error, setError] = useState("");

  const run = async (work: () => Promise<void>) => {
    setError("");
    try {
      await work();
    } catch (failure) {
      setError(describe(failure));
    }
  };

  const enrol = () =>
    run(async () => {
      setEnrolment(await ok(api.POST("/api/v1/auth/totp/enrol")));
      setCode("");
    });
  const confirm = (e: Event) => {
    e.preventDefault();
    return run(async () => {
      const answer = await ok(api.POST("/api/v1/auth/totp/confirm", { body: { code } }));
      setCodes(answer.recoveryCodes);
      setEnrolment(null);
      setCode("");
      toast(t("twoFactor.on"));
      await reloadMe();
    });
  };
  const renew = (e: Event) => {
    e.preventDefault();
    return run(async () => {
      const answer = await ok(api.POST("/api/v1/auth/totp/recovery-codes", { body: { code } }));
      setCodes(answer.recoveryCodes);
      setCode("");
    });
  };
  const disable = (e: Event) => {
    e.preventDefault();
    return run(async () => {
      await ok(api.POST("/api/v1/auth/totp/disable", { body: { password } }));
      setPassword("");
      toast(t("twoFactor.off"));
      await reloadMe();
    });
  };

  return (
    <section class="card" aria-labelledby="twofactor-title">
      <h2 id="twofactor-title">{t("twoFactor.title")}</h2>
      <p>{me.totpEnabled ? t("twoFactor.isOn") : t("twoFactor.isOff")}</p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {codes && (
        <section class="recovery" aria-label={t("twoFactor.recoveryCodes")}>
          <p>
            <strong>{t("twoFactor.saveCodes")}</strong>
          </p>
          <ul class="codes">
            {codes.map((item) => (
              <li key={item}>
                <code>{item}</code>
              </li>
            ))}
          </ul>
          <p class="actions">
            <button
              type="button"
              onClick={async () =>
                toast((await copyText(codes.join("\n"))) ? t("common.copied") : t("common.copyFailed"))
              }
            >
              {t("common.copy")}
            </button>
            <button
              type="button"
              onClick={() =>
                download("edge-crm-recovery-codes.txt", codes.join("\r\n"), "text/plain;charset=utf-8")
              }
            >
              {t("common.download")}
            </button>
            <button type="button" onClick={() => setCodes(null)}>
              {t("twoFactor.savedThem")}
            </button>
          </p>
        </section>
      )}
      {!me.totpEnabled && !enrolment && (
        <button type="button" class="primary" onClick={enrol}>
          {t("twoFactor.enrol")}
        </button>
      )}
      {enrolment && (
        <form class="stack" onSubmit={confirm}>
          <p>{t("twoFactor.scan")}</p>
          <img
            class="qr"
            width="200"
            height="200"
            src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(enrolment.qrSvg)}`}
            alt={t("twoFactor.qrAlt")}
          />
          <p>
            {t("twoFactor.orType")} <code class="secret">{enrolment.secret}</code>
          </p>
          <p>
            <a href={enrolment.uri}>{t("twoFactor.openApp")}</a>
          </p>
          <TextField
            label={t("login.code")}
            inputMode="numeric"
            autoComplete="one-time-code"
            value={code}
            onValue={setCode}
            required
          />
          <button type="submit" class="primary">
            {t("twoFactor.confirm")}
          </button>
        </form>
      )}
      {me.totpEnabled && (
        <>
          <form class="stack" onSubmit={renew}>
            <TextField
              label={t("twoFactor.codeForRenew")}
              inputMode="numeric"
              autoComplete="one-time-code"
              value={code}
              onValue={setCode}
            />
            <button type="submit">{t("twoFactor.renew")}</button>
          </form>
          <form class="stack" onSubmit={disable}>
            <TextField
              label={t("twoFactor.passwordToDisable")}
              type="password"
              autoComplete="current-password"
              value={password}
              onValue={setPassword}
            />
            <button type="submit" class="danger">
              {t("twoFactor.disable")}
            </button>
          </form>
        </>
      )}
    </section>
  );
}
