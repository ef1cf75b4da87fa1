// Recovery at the bench: open cases per stage (GET /v1/recovery/stages), and what the closed
// cases brought back per path with the redeployment rate (GET /v1/reports/recovery).
import { api } from "./api.js";
import { byId, h } from "./dom.js";
import { CASE_STAGES, formatCount, formatDuration, formatMoney, formatShare, pathWord } from "./format.js";

export async function loadRecovery() {
  const [stages, report] = await Promise.all([api("/v1/recovery/stages"), api("/v1/reports/recovery")]);
  renderStages(stages);
  renderOutcome(report.overall, report.by_path);
}

function renderStages(rows) {
  const open = Object.fromEntries(rows.map((row) => [row.stage, row.open_cases]));
  const total = rows.reduce((sum, row) => sum + row.open_cases, 0);
  byId("recovery-open").textContent = `${formatCount(total)} open`;
  byId("recovery-stages").replaceChildren(...CASE_STAGES.map(([stage, word]) =>
    h("li", { class: `stage${open[stage] ? "" : " empty"}`, dataset: { stage } },
      h("span", { class: "big stage-count" }, formatCount(open[stage] ?? 0)),
      h("span", { class: "label" }, word))));
}

function renderOutcome(overall, byPath) {
  const rate = byId("recovery-rate");
  rate.replaceChildren(overall.redeployment_rate == null
    ? h("span", { class: "muted" }, "No case closed yet.")
    : h("span", {},
        h("span", { class: "big" }, formatShare(overall.redeployment_rate)),
        h("span", { class: "label" }, ` redeployed of ${formatCount(overall.cases)} closed`)));
  byId("recovery-paths").replaceChildren(...byPath.map((row) =>
    h("tr", { dataset: { path: row.key ?? "" } },
      h("th", { scope: "row" }, pathWord(row.key)),
      h("td", { class: "num" }, formatCount(row.cases)),
      h("td", { class: "num" }, formatMoney(row.value_recovered)),
      h("td", { class: "num" }, formatMoney(row.net_value)))));
  byId("recovery-turnaround").textContent = overall.intake_to_done_p50_s == null
    ? ""
    : `Intake → done: p50 ${formatDuration(overall.intake_to_done_p50_s)}, p90 ${formatDuration(overall.intake_to_done_p90_s)}`
      + ` · value recovered ${formatMoney(overall.value_recovered)}`;
}
