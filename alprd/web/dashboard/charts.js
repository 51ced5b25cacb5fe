// Small SVG charts (no library): vertical bars, horizontal bars and a line.
const NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  if (text !== undefined) el.textContent = text;
  return el;
}

function frame(width, height, label) {
  return svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label, class: "chart" });
}

function niceMax(values) {
  const max = Math.max(1, ...values);
  const step = 10 ** Math.floor(Math.log10(max));
  return Math.ceil(max / step) * step;
}

// points: [{label, value}]; every `labelEvery`-th label is written under its bar.
export function barChart(points, { label = "", labelEvery = 1 } = {}) {
  const width = 600, height = 220, left = 36, bottom = 24, top = 10;
  const chart = frame(width, height, label);
  const max = niceMax(points.map((p) => p.value));
  const plotH = height - bottom - top;
  const slot = (width - left) / Math.max(points.length, 1);
  for (const y of [0, max / 2, max]) {
    const py = top + plotH - (y / max) * plotH;
    chart.append(svg("line", { x1: left, x2: width, y1: py, y2: py, class: "grid" }));
    chart.append(svg("text", { x: left - 4, y: py + 4, class: "axis end" }, String(Math.round(y))));
  }
  points.forEach((p, i) => {
    const h = (p.value / max) * plotH;
    const bar = svg("rect", { x: left + i * slot + slot * 0.15, y: top + plotH - h, width: slot * 0.7, height: h, class: "bar" });
    bar.append(svg("title", {}, `${p.label}: ${p.value}`));
    chart.append(bar);
    if (i % labelEvery === 0) {
      chart.append(svg("text", { x: left + i * slot + slot / 2, y: height - 6, class: "axis mid" }, p.label));
    }
  });
  return chart;
}

// points: [{label, value}] as one line with dots; first, middle and last labels written.
export function lineChart(points, { label = "" } = {}) {
  const width = 600, height = 220, left = 36, bottom = 24, top = 10, right = 10;
  const chart = frame(width, height, label);
  const max = niceMax(points.map((p) => p.value));
  const plotH = height - bottom - top;
  const step = (width - left - right) / Math.max(points.length - 1, 1);
  const xy = points.map((p, i) => [left + i * step, top + plotH - (p.value / max) * plotH]);
  for (const y of [0, max / 2, max]) {
    const py = top + plotH - (y / max) * plotH;
    chart.append(svg("line", { x1: left, x2: width - right, y1: py, y2: py, class: "grid" }));
    chart.append(svg("text", { x: left - 4, y: py + 4, class: "axis end" }, String(Math.round(y))));
  }
  if (xy.length) chart.append(svg("polyline", { points: xy.map((c) => c.join(",")).join(" "), class: "line" }));
  const labelled = new Set([0, Math.floor((points.length - 1) / 2), points.length - 1]);
  points.forEach((p, i) => {
    const dot = svg("circle", { cx: xy[i][0], cy: xy[i][1], r: 3, class: "dot" });
    dot.append(svg("title", {}, `${p.label}: ${p.value}`));
    chart.append(dot);
    const anchor = i === 0 ? "start" : i === points.length - 1 ? "end" : "mid";
    if (labelled.has(i)) chart.append(svg("text", { x: xy[i][0], y: height - 6, class: `axis ${anchor}` }, p.label));
  });
  return chart;
}

// points: [{label, value}] as labelled horizontal bars, largest first.
export function hBarChart(points, { label = "" } = {}) {
  const rows = [...points].sort((a, b) => b.value - a.value);
  const width = 600, rowH = 28, left = 120, right = 50;
  const chart = frame(width, Math.max(rows.length, 1) * rowH + 4, label);
  const max = Math.max(1, ...rows.map((p) => p.value));
  if (!rows.length) chart.append(svg("text", { x: 4, y: 20, class: "axis" }, "no data yet"));
  rows.forEach((p, i) => {
    const y = i * rowH + 4;
    const w = (p.value / max) * (width - left - right);
    chart.append(svg("text", { x: left - 6, y: y + 17, class: "axis end" }, p.label || "unknown"));
    chart.append(svg("rect", { x: left, y, width: Math.max(w, 1), height: rowH - 8, class: "bar" }));
    chart.append(svg("text", { x: left + w + 6, y: y + 17, class: "axis" }, String(p.value)));
  });
  return chart;
}
