// The dashboard: asks for a key once, then keeps counts, alerts, value at risk and recovery
// fresh from the live stream (with a slow poll as a safety net for what the stream cannot say).
import { api, ApiError, storedKey, storeKey } from "./api.js";
import { loadAlerts, loadRisk, wireAlerts } from "./alerts.js";
import { byId } from "./dom.js";
import { LiveFeed } from "./feed.js";
import { loadValueStream } from "./flow.js";
import { names, RECOVERY_KINDS } from "./format.js";
import { flash, loadLayout, renderCounts } from "./plan.js";
import { loadRecovery } from "./recovery.js";
import { wireSearch } from "./search.js";

const POLL_MS = 30000;
// The value-stream report sorts every status change ever recorded: a wall screen asks for it
// at most this often, however busy the stream.
const FLOW_EVERY_MS = 10000;
const ALERT_KINDS = new Set(["alert_raised", "alert_resolved", "alert_acknowledged"]);
const NOTHING = { counts: false, alerts: false, recovery: false };
let feed = null;
let pending = NOTHING;
let refreshTimer = null;
let flowAsked = 0;
let flowTimer = null;

function askForKey(message) {
  const dialog = byId("key-dialog");
  const error = byId("key-error");
  error.hidden = !message;
  error.textContent = message ?? "";
  byId("key-input").value = "";
  if (!dialog.open) dialog.showModal();
}

function trouble(error) {
  if (error instanceof ApiError && error.status === 401) {
    feed?.stop();
    askForKey("That key was not accepted. Enter a valid API key.");
    return;
  }
  if (error instanceof ApiError && error.status === 403 && !feed) {
    askForKey("This key may not read assets (it needs assets:read).");
    return;
  }
  const banner = byId("banner");
  banner.textContent = error instanceof ApiError && error.status === 403
    ? `This key may not do that: ${error.message}`
    : `The API did not answer: ${error.message}`;
  banner.hidden = false;
  clearTimeout(banner.timer);
  banner.timer = setTimeout(() => { banner.hidden = true; }, 8000);
}

async function refreshCounts() {
  renderCounts(await api("/v1/stats/locations"));
}

async function refreshAlerts() {
  await Promise.all([loadAlerts(), loadRisk()]);
}

// Recovery steps move the bench's figures at once and the value stream now and then.
async function refreshRecovery() {
  await loadRecovery();
  scheduleFlow();
}

function scheduleFlow() {
  if (flowTimer) return;
  const wait = Math.max(0, flowAsked + FLOW_EVERY_MS - Date.now());
  flowTimer = setTimeout(async () => {
    flowTimer = null;
    flowAsked = Date.now();
    try {
      await loadValueStream();
    } catch (error) {
      trouble(error);
    }
  }, wait);
}

// Bursts of events (a truck unloading) become one refresh per second, not one per event.
function scheduleRefresh(what) {
  pending = Object.fromEntries(Object.keys(NOTHING).map((k) => [k, pending[k] || Boolean(what[k])]));
  if (refreshTimer) return;
  refreshTimer = setTimeout(async () => {
    const todo = pending;
    pending = NOTHING;
    refreshTimer = null;
    try {
      await Promise.all([
        todo.counts && refreshCounts(),
        todo.alerts && refreshAlerts(),
        todo.recovery && refreshRecovery(),
      ]);
    } catch (error) {
      trouble(error);
    }
  }, 1000);
}

async function loadCustodians() {
  let cursor = null;
  do {
    const page = await api(`/v1/custodians?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    for (const c of page.items) names.custodians.set(c.id, c.name);
    cursor = page.next_cursor;
  } while (cursor);
}

async function start() {
  feed?.stop();
  feed = null;
  try {
    const counts = await api("/v1/stats/locations");
    await Promise.all([loadLayout(counts), loadCustodians().catch(() => {})]);
    renderCounts(counts);
    flowAsked = Date.now();
    await Promise.all([refreshAlerts(), loadRecovery(), loadValueStream()]);
  } catch (error) {
    trouble(error);
    return;
  }
  byId("banner").hidden = true;
  feed = new LiveFeed(
    (event) => {
      flash(event.zone_id);
      const recovery = RECOVERY_KINDS.has(event.kind);
      scheduleRefresh({ counts: !ALERT_KINDS.has(event.kind), alerts: !recovery, recovery });
    },
    // The stream closed on an error: if the key went bad, say so.
    () => api("/v1/stats/locations").catch(trouble),
  );
  feed.start();
}

function tick() {
  byId("clock").textContent = new Date().toLocaleTimeString([], {
    hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });
}

function wire() {
  byId("key-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const key = byId("key-input").value.trim();
    if (!key) return;
    storeKey(key);
    byId("key-dialog").close();
    start();
  });
  byId("key-dialog").addEventListener("cancel", (e) => {
    if (!storedKey()) e.preventDefault(); // nothing works without one
  });
  byId("change-key").addEventListener("click", () => askForKey(null));
  wireAlerts(refreshAlerts, trouble);
  wireSearch(trouble);
  tick();
  setInterval(tick, 10000);
  setInterval(() => {
    if (storedKey() && !byId("key-dialog").open) {
      scheduleRefresh({ counts: true, alerts: true, recovery: true });
    }
  }, POLL_MS);
}

wire();
if (storedKey()) start();
else askForKey(null);
