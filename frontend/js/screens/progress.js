/* Progress: pain, sitting and homework over the course, the meaningful-change line, what
 * changed since the first week, and sitting vs next-day leg pain once there are enough days.
 * uPlot (vendored) is loaded only when this screen opens, to keep the first load small. */
import { formatDate, h } from "../dom.js";
import { getKept } from "../state.js";
const NAMES = { leg_pain: "Leg pain", back_pain: "Back pain", sitting_minutes: "Sitting time" };
let uplotLoading = null;

function loadUPlot() {
  if (self.uPlot) return Promise.resolve(self.uPlot);
  if (!uplotLoading) {
    uplotLoading = new Promise((resolve, reject) => {
      const link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = "vendor/uPlot.min.css";
      document.head.append(link);
      const script = document.createElement("script");
      script.src = "vendor/uPlot.iife.min.js";
      script.onload = () => resolve(self.uPlot);
      script.onerror = () => { uplotLoading = null; reject(new Error("chart library did not load")); };
      document.head.append(script);
    });
  }
  return uplotLoading;
}

function fmt(measure, value) {
  if (value === null || value === undefined) return "–";
  if (measure === "sitting_minutes") return `${(value / 60).toFixed(1)} h`;
  return value.toFixed(1);
}

function changeSentence(c) {
  const name = NAMES[c.measure];
  if (c.current === null || c.points === null) return `${name}: not enough entries since your first week yet.`;
  const diff = Math.abs(c.points);
  const pct = c.percent === null ? "" : ` (${Math.abs(c.percent).toFixed(0)} %)`;
  const amount = c.measure === "sitting_minutes" ? `${(diff / 60).toFixed(1)} hours` : `${diff.toFixed(1)} points`;
  if (Math.abs(c.points) < 0.05) return `${name} is about the same as in your first week (${fmt(c.measure, c.current)}).`;
  if (c.improved) {
    return `${name} is ${amount} lower${pct} than in your first week (${fmt(c.measure, c.baseline)} → ${fmt(c.measure, c.current)}).` +
      (c.meaningful ? " That is a meaningful change." : "");
  }
  return `${name} is ${amount} higher${pct} than in your first week (${fmt(c.measure, c.baseline)} → ${fmt(c.measure, c.current)}). It's worth mentioning at your next session.`;
}

function linkText(link) {
  if (!link.enough) {
    return `Once there are ${link.min_pairs} days with your sitting time and the next day's leg pain (you have ${link.pairs}), we'll show whether they move together.`;
  }
  const r = link.r;
  let text;
  if (r === null || Math.abs(r) < 0.3) text = "We don't see a clear link between how long you sat and your leg pain the next day.";
  else if (r > 0) text = "On days after you sat longer, your leg pain tended to be higher the next day.";
  else text = "On days after you sat longer, your leg pain tended to be lower the next day.";
  if (r !== null && link.slope_per_hour !== null) {
    text += ` (About ${Math.abs(link.slope_per_hour).toFixed(1)} points per extra hour; correlation ${r.toFixed(2)} over ${link.pairs} days.)`;
  }
  return text + " This is a pattern, not proof of cause: talk it over with your practitioner.";
}

function chart(uPlot, holder, title, xs, series, opts = {}) {
  const width = Math.max(280, Math.min(holder.clientWidth || 320, 720));
  const plot = new uPlot({
    width, height: 200, title: undefined,
    scales: { x: { time: true }, y: opts.y || {} },
    axes: [{ size: 40 }, { size: 40 }],
    legend: { show: true },
    cursor: { drag: { x: false, y: false } },
    series: [{}, ...series],
  }, [xs, ...series.map((s) => s.data)], holder);
  const canvas = holder.querySelector("canvas");
  if (canvas) { canvas.setAttribute("role", "img"); canvas.setAttribute("aria-label", title); }
  return plot;
}

export async function render(root) {
  root.append(h("h1", {}, "Your progress"));
  const { data, savedAt } = await getKept("/api/progress", "progress");
  if (savedAt) root.append(h("p", { class: "note" }, `Offline: showing what was saved ${formatDate(savedAt)}.`));
  if (!data) { root.append(h("p", {}, "You're offline and no progress is saved on this phone yet.")); return; }

  const withEntries = data.days.filter((d) => d.entries);
  const summary = h("section", { class: "card", "aria-labelledby": "changed-h" }, h("h2", { id: "changed-h" }, "What changed since your first week"));
  if (!data.baseline) summary.append(h("p", {}, "Check in for a few days and your progress will show here."));
  else summary.append(h("ul", { class: "plain changes" }, data.changes.map((c) => h("li", {}, changeSentence(c)))));
  if (data.adherence !== null) summary.append(h("p", {}, `Homework done: ${Math.round(data.adherence)} % of what was due.`));
  summary.append(h("p", { class: "muted" }, "A drop of 2 points, or 30 %, is the change that people usually notice in daily life. Everyone's recovery is different."));
  root.append(summary);

  const charts = h("section", { "aria-labelledby": "charts-h" }, h("h2", { id: "charts-h" }, "Charts"));
  root.append(charts);
  const xs = data.days.map((d) => Math.floor(new Date(d.date + "T12:00:00").getTime() / 1000));
  const leg = data.days.map((d) => d.leg_mean);
  const back = data.days.map((d) => d.back_mean);
  const legChange = data.changes.find((c) => c.measure === "leg_pain");
  const target = legChange && legChange.target !== null ? data.days.map(() => legChange.target) : null;
  const painFig = h("figure", { class: "chart" }, h("figcaption", {}, "Leg and back pain (0–10), daily average"));
  const sitFig = h("figure", { class: "chart" }, h("figcaption", {}, "Hours sitting per day"));
  const hwFig = h("figure", { class: "chart" }, h("figcaption", {}, "Homework done, % of what was due"));
  charts.append(painFig, sitFig, hwFig);
  try {
    const uPlot = await loadUPlot();
    const painSeries = [
      { label: "Leg pain", stroke: "#b3261e", width: 2, data: leg, spanGaps: true, points: { show: true } },
      { label: "Back pain", stroke: "#1f5f5b", width: 2, data: back, spanGaps: true, points: { show: true } },
    ];
    if (target) painSeries.push({ label: "Meaningful change (leg)", stroke: "#6b5b00", dash: [6, 4], width: 1.5, data: target, points: { show: false } });
    chart(uPlot, painFig, "Leg and back pain over time", xs, painSeries, { y: { range: [0, 10] } });
    chart(uPlot, sitFig, "Hours sitting per day", xs, [
      { label: "Sitting (h)", stroke: "#5b3d99", width: 2, spanGaps: true, points: { show: true },
        data: data.days.map((d) => (d.sitting_minutes === null ? null : +(d.sitting_minutes / 60).toFixed(1))) },
    ], { y: { range: [0, 12] } });
    chart(uPlot, hwFig, "Homework adherence per day", xs, [
      { label: "Homework %", stroke: "#2e6b2e", width: 2, points: { show: true }, data: data.days.map((d) => d.adherence) },
    ], { y: { range: [0, 100] } });
  } catch (err) {
    charts.append(h("p", { class: "note" }, "The charts could not be drawn. The table below has the same numbers."));
  }

  root.append(h("section", { class: "card", "aria-labelledby": "link-h" },
    h("h2", { id: "link-h" }, "Sitting and next-day leg pain"), h("p", {}, linkText(data.sitting_link))));

  const table = h("table", {},
    h("caption", {}, "Daily summary (days with a check-in)"),
    h("thead", {}, h("tr", {}, ["Day", "Leg", "Back", "Sitting", "Homework"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, withEntries.slice(-28).reverse().map((d) => h("tr", {},
      h("th", { scope: "row" }, formatDate(d.date + "T12:00:00")),
      h("td", {}, fmt("leg_pain", d.leg_mean)), h("td", {}, fmt("back_pain", d.back_mean)),
      h("td", {}, fmt("sitting_minutes", d.sitting_minutes)),
      h("td", {}, d.adherence === null ? "–" : `${Math.round(d.adherence)} %`)))));
  root.append(h("details", { class: "card" }, h("summary", {}, "Show the numbers as a table"), h("div", { class: "table-wrap" }, table)));
}
