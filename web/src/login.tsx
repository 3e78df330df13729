// The login screen: email and password, then, for an account with two-factor authentication, the code from
// the authenticator app or a recovery code. Also the system's status, so a person can tell a wrong password
// from a server that is down.
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiProblem, api } from "./api/client.ts";
import { type Locale, t } from "./i18n/index.ts";
import { StatusPanel } from "./status-panel.tsx";
import { TextField } from "./ui/controls.tsx";
import { describe } from "./ui/problem.ts";

interface Props {
  onLoggedIn: () => Promise<void>;
  locale: Locale;
  onLocale: (locale: Locale) => void;
}

export function Login({ onLoggedIn, locale, onLocale }: Props) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [step, setStep] = useState<"password" | "code" | "recovery">("password");
  const [code, setCode] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const codeRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    document.title = "Edge CRM";
  }, []);
  useEffect(() => {
    if (step !== "password") codeRef.current?.querySelector("input")?.focus();
  }, [step]);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    const body = {
      email,
      password,
      ...(step === "code" ? { totpCode: code } : {}),
      ...(step === "recovery" ? { recoveryCode: code } : {}),
    };
    const { response, error: problem } = await api.POST("/api/v1/auth/login", { body }).catch((failure) => ({
      response: null,
      error: failure,
    }));
    setBusy(false);
    if (response?.ok) {
      await onLoggedIn();
      return;
    }
    const asked = problem as { errors?: { path: string }[] } | undefined;
    if (
      response?.status === 401 &&
      step === "password" &&
      asked?.errors?.some((e) => e.path === "totpCode")
    ) {
      setStep("code");
      return;
    }
    // A refused login in the person's language; anything else (locked out, server away) as the API says it.
    if (response?.status === 401)
      setError(t(step === "password" ? "login.wrongPassword" : "login.wrongCode"));
    else
      setError(
        response ? describe(new ApiProblem(response.status, (problem ?? {}) as object)) : describe(problem),
      );
  };

  const other: Locale = locale === "vi" ? "en" : "vi";
  return (
    <main class="login" id="main">
      <div class="login-card">
        <p class="lang-switch">
          <button type="button" class="link" lang={other} onClick={() => onLocale(other)}>
            {other === "vi" ? "Tiếng Việt" : "English"}
          </button>
        </p>
        <h1>Edge CRM</h1>
        <form onSubmit={submit} aria-describedby={error ? "login-error" : undefined} noValidate>
          <h2>{step === "password" ? t("login.title") : t("login.twoFactorTitle")}</h2>
          {step === "password" ? (
            <>
              <TextField
                label={t("login.email")}
                type="email"
                autoComplete="username"
                required
                value={email}
                onValue={setEmail}
              />
              <TextField
                label={t("login.password")}
                type="password"
                autoComplete="current-password"
                required
                value={password}
                onValue={setPassword}
              />
            </>
          ) : (
            <div ref={codeRef}>
              <TextField
                label={step === "code" ? t("login.code") : t("login.recoveryCode")}
                hint={step === "code" ? t("login.codeHint") : t("login.recoveryHint")}
                autoComplete="one-time-code"
                inputMode={step === "code" ? "numeric" : "text"}
                required
                value={code}
                onValue={setCode}
              />
              <button
                type="button"
                class="link"
                onClick={() => {
                  setCode("");
                  setError("");
                  setStep(step === "code" ? "recovery" : "code");
                }}
              >
                {step === "code" ? t("login.useRecovery") : t("login.useCode")}
              </button>
            </div>
          )}
          {error && (
            <p class="error" id="login-error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" class="primary" disabled={busy}>
            {busy ? t("login.signingIn") : step === "password" ? t("login.submit") : t("login.verify")}
          </button>
          {step !== "password" && (
            <button type="button" class="link" onClick={() => setStep("password")}>
              {t("login.back")}
            </button>
          )}
        </form>
      </div>
      <StatusPanel />
    </main>
  );
}
