// Asset counts: totals by status, and each site drawn as a plan of zone tiles with dock doors.
import { api, ApiError } from "./api.js";
import { byId, h } from "./dom.js";
import { formatCount, names, STATUSES, statusWord } from "./format.js";

let layout = null; // [{id, name, zones: [{id, name, kind}], doors: {zoneId: [labels]}}]

// Sites, zones and doors change rarely: read them once (GET /v1/sites when the API has it,
// else whatever the counts mention).
export async function loadLayout(counts) {
  try {
    const sites = await api("/v1/sites");
    layout = await Promise.all(sites.map(async (site) => siteLayout(await api(`/v1/sites/${encodeURIComponent(site.id)}`))));
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404) throw error;
    layout = layoutFromCounts(counts);
  }
  for (const site of layout) {
    names.sites.set(site.id, site.name);
    for (const zone of site.zones) names.zones.set(zone.id, zone.name);
  }
}

function siteLayout(site) {
  const doors = {};
  for (const point of site.read_points ?? []) {
    if (!point.door) continue;
    const label = point.door.replace(/^.*?(\d+)$/, "$1").replace(/^0+(?=\d)/, "");
    (doors[point.zone_id] ??= new Set()).add(label);
  }
  const order = { dock: 0, yard: 1, storage: 2, repair: 3, quarantine: 4, external: 5 };
  const zones = [...site.zones].sort(
    (a, b) => (order[a.kind] ?? 9) - (order[b.kind] ?? 9) || a.name.localeCompare(b.name),
  );
  return {
    id: site.id,
    name: site.name,
    zones,
    doors: Object.fromEntries(
      Object.entries(doors).map(([zone, set]) => [zone, [...set].sort((a, b) => a - b)]),
    ),
  };
}

function layoutFromCounts(counts) {
  const sites = new Map();
  for (const row of counts) {
    if (!row.site_id) continue;
    const site = sites.get(row.site_id) ?? { id: row.site_id, name: row.site_id, zones: [], doors: {} };
    if (row.zone_id && !site.zones.some((z) => z.id === row.zone_id)) {
      site.zones.push({ id: row.zone_id, name: row.zone_id, kind: "zone" });
    }
    sites.set(row.site_id, site);
  }
  return [...sites.values()];
}

export function renderCounts(counts) {
  renderTotals(counts);
  renderPlans(counts);
}

function renderTotals(counts) {
  const byStatus = new Map();
  for (const row of counts) byStatus.set(row.status, (byStatus.get(row.status) ?? 0) + row.assets);
  const total = counts.reduce((sum, row) => sum + row.assets, 0);
  byId("totals").replaceChildren(
    h("li", { class: "total all", dataset: { status: "all" } },
      h("span", { class: "big" }, formatCount(total)), h("span", { class: "label" }, "Assets")),
    ...STATUSES.map(([status, word]) =>
      h("li", { class: `total s-${status}`, dataset: { status } },
        h("span", { class: "big" }, formatCount(byStatus.get(status) ?? 0)),
        h("span", { class: "label" }, word)),
    ),
  );
}

function tally(rows) {
  const statuses = new Map();
  for (const row of rows) statuses.set(row.status, (statuses.get(row.status) ?? 0) + row.assets);
  return { total: rows.reduce((sum, row) => sum + row.assets, 0), statuses };
}

function chips(statuses, skip) {
  return h("ul", { class: "chips" },
    [...statuses].filter(([status, n]) => n > 0 && status !== skip).map(([status, n]) =>
      h("li", { class: `chip s-${status}` }, `${formatCount(n)} ${statusWord(status).toLowerCase()}`)),
  );
}

function tile(id, title, kind, rows, doors) {
  const { total, statuses } = tally(rows);
  return h("div", { class: `tile kind-${kind}`, dataset: { zone: id } },
    h("div", { class: "tile-head" }, h("span", { class: "tile-name" }, title),
      h("span", { class: "tile-kind" }, kind)),
    h("span", { class: "big", dataset: { count: total } }, formatCount(total)),
    chips(statuses, "in_service"),
    doors?.length
      ? h("ol", { class: "doors", "aria-label": "dock doors" },
          doors.map((label) => h("li", { class: "door", title: `door ${label}` }, label)))
      : null,
  );
}

function renderPlans(counts) {
  const sites = layout ?? layoutFromCounts(counts);
  const cards = sites.map((site) => {
    const here = counts.filter((row) => row.site_id === site.id);
    const { total } = tally(here);
    const tiles = site.zones.map((zone) =>
      tile(zone.id, zone.name, zone.kind, here.filter((row) => row.zone_id === zone.id), site.doors[zone.id]));
    const unplaced = here.filter((row) => !row.zone_id || !site.zones.some((z) => z.id === row.zone_id));
    if (unplaced.length) tiles.push(tile(`${site.id}:unplaced`, "Not in a zone", "on site", unplaced));
    return h("article", { class: "site", dataset: { site: site.id } },
      h("header", { class: "site-head" },
        h("h3", {}, site.name, site.name.includes(site.id) ? null : h("span", { class: "muted" }, ` ${site.id}`)),
        h("span", { class: "site-total" }, h("b", {}, formatCount(total)), " here")),
      h("div", { class: "tiles" }, tiles));
  });
  const away = counts.filter((row) => !row.site_id);
  if (away.length) {
    cards.push(h("article", { class: "site away", dataset: { site: "away" } },
      h("header", { class: "site-head" }, h("h3", {}, "Away from our sites")),
      h("div", { class: "tiles" }, tile("away", "With customers and carriers", "away", away))));
  }
  byId("plans").replaceChildren(...cards);
}

// A short glow on the tile where something just happened.
export function flash(zoneId) {
  if (!zoneId) return;
  const el = document.querySelector(`.tile[data-zone="${CSS.escape(zoneId)}"]`);
  if (!el) return;
  el.classList.remove("flash");
  void el.offsetWidth; // restart the animation
  el.classList.add("flash");
}
