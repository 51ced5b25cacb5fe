// Statistics: GET /api/statistics/dashboard (totals, vehicles, trend, hourly, plate status).
import { api } from "./api.js";
import { barChart, hBarChart, lineChart } from "./charts.js";
import { $, el, guarded } from "./util.js";

function total(label, value, kind = "") {
  return el("div", { class: `total ${kind}` }, el("strong", {}, String(value)), el("span", {}, label));
}

export function setupStats() {
  const form = $("#stats-form");
  const totals = $("#stat-totals");
  const load = () =>
    guarded(totals, async () => {
      const days = form.elements.days.value;
      const d = await api(`/api/statistics/dashboard?days=${days}`);
      totals.replaceChildren(
        total("detections", d.totalDetections),
        total("today", d.todayDetections),
        total("whitelist", d.plateStatus.whitelist ?? 0, "whitelist"),
        total("blacklist", d.plateStatus.blacklist ?? 0, "blacklist"),
      );
      const vehicles = Object.entries(d.vehicleDistribution).map(([label, value]) => ({ label, value }));
      $("#chart-vehicles").replaceChildren(hBarChart(vehicles, { label: "vehicle distribution" }));
      const trend = d.detectionTrend.map((p) => ({ label: p.date.slice(5), value: p.count }));
      $("#chart-trend").replaceChildren(lineChart(trend, { label: `detections per day, last ${days} days` }));
      const hourly = d.hourlyActivity.map((p) => ({ label: p.hour.slice(0, 2), value: p.count }));
      $("#chart-hourly").replaceChildren(barChart(hourly, { label: "detections per hour of day", labelEvery: 3 }));
      const status = Object.entries(d.plateStatus).map(([label, value]) => ({ label, value }));
      $("#chart-status").replaceChildren(hBarChart(status, { label: "plates by list status" }));
    });
  form.addEventListener("change", load);
  return { show: load };
}
