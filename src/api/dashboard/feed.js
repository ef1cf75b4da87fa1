// The live feed from GET /v1/stream. EventSource reconnects by itself and sends Last-Event-ID,
// so nothing is missed; when the browser gives up (the server answered with an error), a new
// EventSource resumes with ?after= the last id this page saw.
import { streamUrl } from "./api.js";
import { byId, h } from "./dom.js";
import { alertWord, describe, formatTime, tone } from "./format.js";

const KEEP = 50;
// Events are named by kind; an EventSource only hands over the names it listens for.
const KINDS = [
  "asset_moved", "asset_arrived", "asset_left_site", "custody_transferred",
  "asset_status_changed", "turnaround_recorded", "observation_recorded_late",
  "clock_clamped", "observation_ignored", "alert_raised", "alert_resolved",
  "alert_acknowledged", "dispatch_closed", "handheld_scanned", "marked_missing",
  "recovery_opened", "redeployed", "retired", "written_off", "zone_entered",
  "audit_opened", "audit_closed", "service_recorded",
  "recovery_checked", "recovery_graded", "asset_sanitised", "repair_ordered", "repair_closed",
  "recovery_decided", "recovery_closed",
];
const QUIET = new Set(["observation_ignored", "clock_clamped"]);

export class LiveFeed {
  constructor(onEvent, onTrouble) {
    this.onEvent = onEvent;
    this.onTrouble = onTrouble;
    this.lastId = null;
    this.source = null;
    this.retryMs = 1000;
    this.retryTimer = null;
  }

  start() {
    this.stop();
    const source = new EventSource(streamUrl(this.lastId));
    this.source = source;
    source.addEventListener("open", () => {
      this.retryMs = 1000;
      setLive("live", "live");
    });
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CONNECTING) {
        setLive("reconnecting", "reconnecting…");
        return;
      }
      // Closed for good (an HTTP error such as 401): try again ourselves, backing off.
      setLive("off", "disconnected");
      source.close();
      this.onTrouble();
      this.retryTimer = setTimeout(() => this.start(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 30000);
    });
    for (const kind of KINDS) {
      source.addEventListener(kind, (message) => this.receive(message));
    }
  }

  stop() {
    clearTimeout(this.retryTimer);
    this.source?.close();
    this.source = null;
  }

  receive(message) {
    const event = JSON.parse(message.data);
    this.lastId = Number(message.lastEventId || event.id);
    this.onEvent(event);
    if (!QUIET.has(event.kind)) show(event);
  }
}

function setLive(state, text) {
  const el = byId("live");
  el.dataset.state = state;
  el.textContent = text;
}

const MOVES = new Set(["asset_left_site", "asset_arrived", "asset_moved"]);

function show(event) {
  const list = byId("feed");
  const top = list.firstElementChild;
  // One observation makes several events ("left dc1 dock", "→ ACME", "is now in transit",
  // an alert): they share asset and time, and read best as one line.
  if (top?.dataset.asset === event.asset_id && top.dataset.at === event.occurred_at) {
    merge(top, event);
    return;
  }
  const item = h(
    "li",
    {
      class: `event tone-${tone(event.kind)}`,
      dataset: {
        kind: event.kind,
        asset: event.asset_id,
        at: event.occurred_at,
        id: event.id,
        moved: MOVES.has(event.kind) || null,
      },
    },
    h("time", { datetime: event.occurred_at }, formatTime(event.occurred_at)),
    h("span", { class: "line" }, h("b", { class: "asset" }, event.asset_id), " ",
      h("span", { class: "what" }, describe(event))),
  );
  list.prepend(item);
  while (list.children.length > KEEP) list.lastElementChild.remove();
  byId("feed-empty").hidden = true;
}

function merge(item, event) {
  const what = item.querySelector(".what");
  if (event.kind === "custody_transferred") {
    // Back home is what "arrived at dc1 dock" already said; away, the holder is the news.
    if (!String(event.payload?.to_custodian_id ?? "").startsWith("site:")) what.append(` ${describe(event)}`);
  } else if (event.kind === "alert_raised") {
    item.className = "event tone-alert";
    item.querySelector(".line").append(" ", h("span", { class: "badge" }, alertWord(event.payload?.alert_kind)));
  } else if (event.kind === "asset_status_changed" && item.dataset.moved) {
    // "is now in transit" says nothing that "left dc1 dock" did not.
  } else {
    what.append(` · ${describe(event)}`);
    if (MOVES.has(event.kind)) item.dataset.moved = "true";
  }
}
