// The value stream of the asset loop (GET /v1/reports/value-stream): loop lead time, and the
// time each stage takes per completed loop as a bar chart (SVG) with the bottleneck marked.
// The chart is an image to assistive technology, described in words, with the numbers in a
// visually hidden table beside it.
import { api } from "./api.js";
import { byId, h, svg } from "./dom.js";
import { FLOW_STAGES, LOOP_STAGES, formatCount, formatDuration, loopStageWord } from "./format.js";

const WIDTH = 560;
const ROW = 50;
const BAR = 16;

export async function loadValueStream() {
  const { overall } = await api("/v1/reports/value-stream");
  // Every flow stage, and the others (at home, unaccounted) when some loop spent time there.
  const shown = LOOP_STAGES.map(([stage]) => overall.stages.find((s) => s.stage === stage))
    .filter((s) => s && (FLOW_STAGES.has(s.stage) || s.loops > 0));
  renderLead(overall);
  renderChart(shown, overall.bottleneck, overall.loops);
  renderTable(shown, overall.bottleneck);
}

function renderLead(overall) {
  byId("flow-lead").replaceChildren(overall.loops
    ? h("span", {},
        h("span", { class: "big", dataset: { lead: "p50" } }, formatDuration(overall.lead_time_p50_s)),
        h("span", { class: "label" }, " loop lead time (p50) · p90 "),
        h("b", { dataset: { lead: "p90" } }, formatDuration(overall.lead_time_p90_s)),
        h("span", { class: "label" }, ` · ${formatCount(overall.loops)} loops completed`))
    : h("span", { class: "muted" }, "No loop completed yet: nothing has left and come back."));
}

function spread(stage) {
  return stage.loops ? `p50 ${formatDuration(stage.p50_s)} · p90 ${formatDuration(stage.p90_s)}` : "no loops";
}

function renderChart(stages, bottleneck, loops) {
  const top = Math.max(1, ...stages.map((s) => Number(s.p90_s ?? 0)));
  const width = (seconds) => Math.max(2, (WIDTH * Number(seconds)) / top);
  const rows = stages.map((stage, i) => {
    const marked = stage.stage === bottleneck;
    return svg("g", {
      class: `row${marked ? " bottleneck" : ""}${stage.loops ? "" : " empty"}`,
      transform: `translate(0 ${i * ROW})`,
      dataset: { stage: stage.stage, bottleneck: marked ? "true" : null },
    },
    svg("text", { x: 0, y: 16, class: "stage-label" }, loopStageWord(stage.stage),
      marked ? svg("tspan", { class: "tag" }, " · bottleneck") : null),
    svg("text", { x: WIDTH, y: 16, "text-anchor": "end", class: "values" }, spread(stage)),
    stage.loops ? svg("rect", { class: "p90", x: 0, y: 26, rx: 3, height: BAR, width: width(stage.p90_s) }) : null,
    stage.loops ? svg("rect", { class: "p50", x: 0, y: 26, rx: 3, height: BAR, width: width(stage.p50_s) }) : null,
    stage.loops ? null : svg("line", { class: "axis", x1: 0, x2: WIDTH, y1: 34, y2: 34 }));
  });
  const described = bottleneck
    ? `Bottleneck: ${loopStageWord(bottleneck)}. `
    : "No bottleneck yet. ";
  const summary = described + stages.map((s) => `${loopStageWord(s.stage)}: ${spread(s)}`).join("; ");
  byId("flow-chart").replaceChildren(svg("svg", {
    viewBox: `0 0 ${WIDTH} ${Math.max(ROW, stages.length * ROW)}`,
    role: "img",
    "aria-labelledby": "flow-chart-title flow-chart-desc",
    preserveAspectRatio: "xMinYMin meet",
  },
  svg("title", { id: "flow-chart-title" }, `Time per stage over ${formatCount(loops)} completed loops`),
  svg("desc", { id: "flow-chart-desc" }, summary),
  rows));
}

function renderTable(stages, bottleneck) {
  byId("flow-table").tBodies[0].replaceChildren(...stages.map((s) =>
    h("tr", {},
      h("th", { scope: "row" }, loopStageWord(s.stage)),
      h("td", {}, formatCount(s.loops)),
      h("td", {}, s.loops ? formatDuration(s.p50_s) : "—"),
      h("td", {}, s.loops ? formatDuration(s.p90_s) : "—"),
      h("td", {}, s.stage === bottleneck ? "yes" : ""))));
}
