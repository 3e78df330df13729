// A new deal: name, amount in the currency's own units (kept by the API in minor units), pipeline and stage.
import { useState } from "preact/hooks";
import { api, idempotency, ok, type Schemas } from "../api/client.ts";
import { useDirectory } from "../data/directory.ts";
import { CURRENCIES } from "../data/enums.ts";
import { minorUnits, t } from "../i18n/index.ts";
import { SelectField, TextField } from "../ui/controls.tsx";
import { describe, fieldErrors } from "../ui/problem.ts";

type Deal = Schemas["Deal"];

export function DealForm(props: {
  pipelineId?: string;
  contactId?: string;
  companyId?: string | null;
  onSaved: (deal: Deal) => void;
  onCancel: () => void;
}) {
  const people = useDirectory();
  const pipelines = people?.pipelines.filter((p) => !p.archivedAt) ?? [];
  const [name, setName] = useState("");
  const [amount, setAmount] = useState("");
  const [currency, setCurrency] = useState<string>("VND");
  const [pipelineId, setPipelineId] = useState(props.pipelineId ?? "");
  const [stageId, setStageId] = useState("");
  const [closeDate, setCloseDate] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState("");
  const pipeline = pipelines.find((p) => p.id === pipelineId) ?? pipelines[0];
  const stages = pipeline?.stages.filter((s) => !s.archivedAt && !s.outcome) ?? [];

  const submit = async (e: Event) => {
    e.preventDefault();
    const major = Number(amount.replace(",", ".") || "0");
    const local: Record<string, string> = {};
    if (!name.trim()) local.name = t("common.required");
    if (!Number.isFinite(major) || major < 0) local.amount = t("deal.amountInvalid");
    setErrors(local);
    if (Object.keys(local).length) return;
    try {
      const deal = await ok(
        api.POST("/api/v1/deals", {
          params: { header: idempotency() },
          body: {
            name: name.trim(),
            amount: Math.round(major * minorUnits(currency)),
            currency,
            ...(pipeline ? { pipelineId: pipeline.id } : {}),
            ...(stageId ? { stageId } : {}),
            expectedCloseDate: closeDate || null,
            ...(props.contactId ? { contactIds: [props.contactId] } : {}),
            ...(props.companyId ? { companyId: props.companyId } : {}),
          },
        }),
      );
      props.onSaved(deal);
    } catch (failure) {
      setErrors(fieldErrors(failure));
      setProblem(describe(failure));
    }
  };

  return (
    <form onSubmit={submit} noValidate class="stack">
      <TextField label={t("deal.name")} required value={name} onValue={setName} error={errors.name} />
      <div class="row">
        <TextField
          label={t("deal.amount")}
          inputMode="decimal"
          value={amount}
          onValue={setAmount}
          error={errors.amount}
        />
        <SelectField
          label={t("deal.currency")}
          value={currency}
          options={CURRENCIES.map((code) => ({ value: code, label: code }))}
          onValue={setCurrency}
        />
      </div>
      {pipelines.length > 1 && (
        <SelectField
          label={t("deal.pipeline")}
          value={pipeline?.id ?? ""}
          options={pipelines.map((p) => ({ value: p.id, label: p.name }))}
          onValue={(value) => {
            setPipelineId(value);
            setStageId("");
          }}
        />
      )}
      <SelectField
        label={t("deal.stage")}
        value={stageId}
        options={[
          { value: "", label: t("deal.firstStage") },
          ...stages.map((s) => ({ value: s.id, label: s.name })),
        ]}
        onValue={setStageId}
      />
      <TextField label={t("deal.expectedClose")} type="date" value={closeDate} onValue={setCloseDate} />
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      <div class="actions">
        <button type="submit" class="primary">
          {t("deal.create")}
        </button>
        <button type="button" onClick={props.onCancel}>
          {t("common.cancel")}
        </button>
      </div>
    </form>
  );
}
