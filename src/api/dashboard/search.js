// Find an asset by any identifier (GRAI barcode, EPC URI or hex, serial) and show its history.
import { api, ApiError } from "./api.js";
import { byId, h } from "./dom.js";
import { custodianName, describe, formatTime, place, statusWord, tone } from "./format.js";

export function wireSearch(onError) {
  byId("search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    find(byId("search-input").value.trim(), onError);
  });
  // Asset ids elsewhere on the page open the asset here.
  document.addEventListener("click", (e) => {
    const link = e.target.closest("[data-find]");
    if (!link) return;
    byId("search-input").value = link.dataset.find;
    find(link.dataset.find, onError);
    byId("search-h").scrollIntoView({ behavior: "smooth" });
  });
}

async function find(tag, onError) {
  if (!tag) return;
  const out = byId("search-result");
  out.replaceChildren(h("p", { class: "muted" }, "Looking…"));
  let asset;
  try {
    asset = await api(`/v1/assets/lookup?tag=${encodeURIComponent(tag)}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      out.replaceChildren(h("p", { class: "error" }, `No asset has the identifier ${tag}.`));
      return;
    }
    out.replaceChildren();
    onError(error);
    return;
  }
  const history = await api(`/v1/assets/${encodeURIComponent(asset.id)}/history?limit=1000`);
  out.replaceChildren(card(asset), timeline(history.items, history.next_cursor));
}

function card(asset) {
  return h("div", { class: "asset-card", dataset: { asset: asset.id } },
    h("h3", {}, asset.id, h("span", { class: `chip s-${asset.status}` }, statusWord(asset.status))),
    h("dl", { class: "facts" },
      h("dt", {}, "Type"), h("dd", {}, asset.type_name),
      h("dt", {}, "Where"), h("dd", {}, place(asset.site_id, asset.zone_id)),
      h("dt", {}, "Held by"), h("dd", {}, custodianName(asset.custodian_id)),
      h("dt", {}, "Last seen"), h("dd", {}, asset.last_seen_at ? formatTime(asset.last_seen_at) : "never"),
      h("dt", {}, "Trips"), h("dd", {}, asset.trips),
      h("dt", {}, "Open alerts"), h("dd", {}, asset.open_alerts)),
    h("p", { class: "muted ids" }, asset.identifiers.map((i) => i.value).join(" · ")));
}

function timeline(events, more) {
  if (!events.length) return h("p", { class: "muted" }, "Nothing has happened to it yet.");
  // Newest first, like the live feed.
  return h("div", {},
    h("ol", { class: "timeline", "aria-label": "history" },
      [...events].reverse().map((event) =>
        h("li", { class: `step tone-${tone(event.kind)}`, dataset: { kind: event.kind } },
          h("time", { datetime: event.occurred_at }, formatTime(event.occurred_at)),
          h("span", { class: "what" }, describe(event)),
          event.late ? h("span", { class: "muted" }, " (late read)") : null))),
    more ? h("p", { class: "muted" }, "Showing its first 1,000 events; the API has more.") : null);
}
