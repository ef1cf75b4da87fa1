// Open (and acknowledged) alerts with Ack / Resolve, and value at risk per custodian.
import { api, ApiError } from "./api.js";
import { byId, h } from "./dom.js";
import { alertWord, custodianName, formatMoney, formatTime, place } from "./format.js";

const OPERATOR_ITEM = "tagtrail.operator";
const SHOWN = 100;

export async function loadAlerts() {
  const page = await api(`/v1/alerts?status=active&limit=${SHOWN}`);
  byId("alerts-count").textContent = page.next_before ? `${SHOWN}+` : String(page.items.length);
  byId("alerts-empty").hidden = page.items.length > 0;
  byId("alerts").replaceChildren(...page.items.map(alertRow));
}

function alertRow(alert) {
  const who = alert.custodian_id && !alert.custodian_id.startsWith("site:")
    ? custodianName(alert.custodian_id)
    : place(alert.site_id, null);
  return h("tr", { class: `sev-${alert.severity} st-${alert.status}`, dataset: { alert: alert.id, asset: alert.asset_id } },
    h("td", {},
      h("span", { class: `sev sev-${alert.severity}` }, alertWord(alert.kind)),
      h("div", { class: "when" }, formatTime(alert.raised_at),
        alert.status === "acked" ? h("span", { class: "acked" }, ` · acked by ${alert.acked_by}`) : null)),
    h("td", { class: "asset" }, h("button", { class: "link", type: "button", dataset: { find: alert.asset_id } }, alert.asset_id)),
    h("td", {}, who),
    h("td", { class: "num" }, alert.value_at_risk != null ? formatMoney(alert.value_at_risk) : ""),
    h("td", { class: "actions" },
      alert.status === "open"
        ? h("button", { type: "button", class: "secondary", dataset: { act: "ack", id: alert.id } }, "Ack")
        : null,
      h("button", { type: "button", class: "secondary", dataset: { act: "resolve", id: alert.id } }, "Resolve")),
  );
}

// The operator's name is asked once and kept in this browser.
function operatorName() {
  const known = localStorage.getItem(OPERATOR_ITEM);
  if (known) return Promise.resolve(known);
  const dialog = byId("operator-dialog");
  const input = byId("operator-input");
  return new Promise((resolve) => {
    const done = () => {
      dialog.removeEventListener("close", done);
      const name = dialog.returnValue === "ok" ? input.value.trim() : "";
      if (name) localStorage.setItem(OPERATOR_ITEM, name);
      resolve(name || null);
    };
    dialog.addEventListener("close", done);
    dialog.returnValue = "";
    dialog.showModal();
  });
}

export function wireAlerts(onChanged, onError) {
  byId("operator-form").addEventListener("submit", (e) => {
    e.preventDefault();
    byId("operator-dialog").close("ok");
  });
  byId("operator-cancel").addEventListener("click", () => byId("operator-dialog").close("cancel"));
  byId("alerts").addEventListener("click", async (e) => {
    const button = e.target.closest("button[data-act]");
    if (!button) return;
    const by = await operatorName();
    if (!by) return;
    button.disabled = true;
    try {
      await api(`/v1/alerts/${button.dataset.id}/${button.dataset.act}`, { method: "POST", body: { by } });
    } catch (error) {
      // 409: someone else was quicker; the refresh shows the alert as it is now.
      if (!(error instanceof ApiError && error.status === 409)) onError(error);
    }
    await onChanged().catch(onError);
  });
}

export async function loadRisk() {
  const rows = await api("/v1/value-at-risk?group=custodian");
  const total = rows.reduce((sum, row) => sum + Number(row.total_value), 0);
  byId("risk-total").replaceChildren(h("span", { class: "big" }, formatMoney(total)),
    h("span", { class: "label" }, " at risk in total"));
  const top = Math.max(1, ...rows.map((row) => Number(row.total_value)));
  byId("risk").replaceChildren(...rows.slice(0, 8).map((row) =>
    h("li", { class: "risk-row", dataset: { custodian: row.key } },
      h("div", { class: "risk-head" },
        h("span", { class: "risk-name" }, custodianName(row.key)),
        h("span", { class: "risk-value" }, formatMoney(row.total_value))),
      h("div", { class: "bar" },
        ...["overdue", "missing", "lost"].map((part) =>
          h("span", { class: `bar-${part}`, style: `width:${(100 * Number(row[`${part}_value`])) / top}%` }))),
      h("div", { class: "risk-parts muted" },
        `${row.overdue_count} overdue · ${row.missing_count} missing · ${row.lost_count} lost`)),
  ));
  if (!rows.length) byId("risk").replaceChildren(h("li", { class: "muted" }, "Nothing overdue, missing or lost."));
}
