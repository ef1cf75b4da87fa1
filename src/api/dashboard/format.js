// Words for what the API returns: statuses, alert kinds, money, times, and one line per event.
export const STATUSES = [
  ["in_service", "In service"],
  ["in_transit", "In transit"],
  ["at_custodian", "At customers"],
  ["missing", "Missing"],
  ["lost", "Lost"],
  ["in_recovery", "In recovery"],
];
const STATUS_WORDS = Object.fromEntries([...STATUSES, ["retired", "Retired"]]);

export function statusWord(status) {
  return STATUS_WORDS[status] ?? humanise(status);
}

const ALERT_WORDS = {
  unauthorized_exit: "Left without dispatch",
  overdue_return: "Overdue return",
  not_seen: "Not seen",
  unexpected_location: "Unexpected location",
  lost: "Lost",
  service_due: "Service due",
  replacement_due: "Replacement due",
  reported_stolen: "Reported stolen",
  reported_destroyed: "Reported destroyed",
};

export function alertWord(kind) {
  return ALERT_WORDS[kind] ?? humanise(kind);
}

// Recovery: the stages a case waits in (in order) and the paths it can end by.
export const CASE_STAGES = [
  ["intake", "Intake"],
  ["grading", "Grading"],
  ["sanitisation", "Data erasure"],
  ["repair", "Repair"],
  ["decision", "Decision"],
];
const PATH_WORDS = {
  redeploy: "Redeployed",
  resale: "Resold",
  parts: "Harvested for parts",
  recycling: "Recycled",
};

export function pathWord(path) {
  return PATH_WORDS[path] ?? humanise(path);
}

// Stages of the asset loop (GET /v1/reports/value-stream), in the order an asset goes.
export const LOOP_STAGES = [
  ["at_home", "At home"],
  ["outbound_transit", "Outbound transit"],
  ["at_custodian", "At customers"],
  ["return_transit", "Return transit"],
  ["in_recovery", "In recovery"],
  ["unaccounted", "Unaccounted"],
];
// The stages a bottleneck can be (the others are shown only when some loop spent time there).
export const FLOW_STAGES = new Set(["outbound_transit", "at_custodian", "return_transit", "in_recovery"]);

export function loopStageWord(stage) {
  return Object.fromEntries(LOOP_STAGES)[stage] ?? humanise(stage);
}

export function formatShare(value) {
  return `${Math.round(Number(value) * 100)} %`;
}

export function humanise(word) {
  const text = String(word ?? "").replaceAll("_", " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const wholeMoney = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const exactMoney = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
export function formatMoney(value) {
  const amount = Number(value ?? 0);
  return (Number.isInteger(amount) ? wholeMoney : exactMoney).format(amount);
}

export function formatCount(value) {
  return new Intl.NumberFormat().format(value);
}

export function formatTime(iso) {
  const at = new Date(iso);
  const sameDay = at.toDateString() === new Date().toDateString();
  const clock = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  return sameDay
    ? at.toLocaleTimeString([], { ...clock, second: "2-digit" })
    : at.toLocaleString([], { ...clock, month: "short", day: "numeric" });
}

export function formatDuration(seconds) {
  const s = Math.max(0, Math.round(Number(seconds)));
  if (s === 0 && Number(seconds) > 0) return "< 1 s";
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} days`;
}

// Names the page knows (sites, zones, custodians); ids stand in for anything unknown.
export const names = { sites: new Map(), zones: new Map(), custodians: new Map() };

export function place(siteId, zoneId) {
  if (!siteId) return "away from our sites";
  const zone = zoneId ? names.zones.get(zoneId) ?? zoneId : null;
  return zone ? `${siteId} ${zone.toLowerCase()}` : siteId;
}

export function custodianName(id) {
  if (!id) return "—";
  return names.custodians.get(id) ?? id;
}

// One readable line per event: "dc1-crate-1000 left dc1 dock → ACME Retail".
export function describe(event) {
  const p = event.payload ?? {};
  const where = place(event.site_id ?? p.site_id, event.zone_id ?? p.zone_id);
  switch (event.kind) {
    case "asset_left_site":
      return `left ${where}${p.dispatch_id ? ` on dispatch ${p.dispatch_id}` : ""}`;
    case "custody_transferred":
      return String(p.to_custodian_id ?? "").startsWith("site:")
        ? `back in the custody of ${custodianName(p.to_custodian_id)}`
        : `→ ${custodianName(p.to_custodian_id)}`;
    case "asset_arrived":
      return `arrived at ${where}${p.at_home === false ? " (not its home site)" : ""}`;
    case "asset_moved":
      return `moved to ${place(p.site_id ?? event.site_id, p.to_zone_id ?? event.zone_id)}`;
    case "asset_status_changed":
      return `is now ${statusWord(p.to_status).toLowerCase()}`;
    case "turnaround_recorded":
      return `back from ${custodianName(p.custodian_id)}${
        p.duration != null ? ` after ${formatDuration(p.duration)}` : ""
      }${p.overdue ? ", late" : ""}`;
    case "alert_raised":
      return `alert: ${alertWord(p.alert_kind).toLowerCase()}`;
    case "alert_acknowledged":
      return `${alertWord(p.alert_kind).toLowerCase()} acknowledged by ${p.by}`;
    case "alert_resolved":
      return p.by
        ? `${alertWord(p.alert_kind).toLowerCase()} resolved by ${p.by}`
        : `${alertWord(p.alert_kind).toLowerCase()} resolved (${humanise(p.reason ?? "cleared").toLowerCase()})`;
    case "observation_recorded_late":
      return "late read kept in history";
    case "recovery_opened":
      return `recovery case opened (${humanise(p.return_category).toLowerCase()})`;
    case "recovery_checked":
      return `checked: ${(p.checks ?? []).map((c) => `${humanise(c.check).toLowerCase()} ${c.passed ? "passed" : "failed"}`).join(", ")}`;
    case "recovery_graded":
      return `graded ${humanise(p.grade).toLowerCase()}`;
    case "asset_sanitised":
      return `data erased (${humanise(p.method).toLowerCase()})`;
    case "repair_ordered":
      return `repair ordered: ${p.description}`;
    case "repair_closed":
      return `repair ${p.outcome === "repaired" ? "done" : "found it unrepairable"}`;
    case "recovery_decided":
      return `recovery decided: ${pathWord(p.path).toLowerCase()}`;
    case "recovery_closed":
      return `recovery closed: ${pathWord(p.path).toLowerCase()}`;
    default:
      return humanise(event.kind).toLowerCase();
  }
}

// Steps of a recovery case, as the stream names them.
export const RECOVERY_KINDS = new Set([
  "recovery_opened", "recovery_checked", "recovery_graded", "asset_sanitised",
  "repair_ordered", "repair_closed", "recovery_decided", "recovery_closed",
]);

export function tone(kind) {
  if (kind === "alert_raised") return "alert";
  if (kind === "alert_resolved" || kind === "alert_acknowledged") return "ok";
  if (kind === "asset_left_site" || kind === "custody_transferred") return "out";
  if (kind === "asset_arrived" || kind === "turnaround_recorded") return "in";
  if (RECOVERY_KINDS.has(kind)) return "recovery";
  return "plain";
}
