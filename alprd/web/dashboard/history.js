// History (GET /detections with its filters) and one detection's images (GET /api/sessions/{id}).
import { api, showImage } from "./api.js";
import { $, badge, el, guarded, percent } from "./util.js";

const state = { offset: 0, count: 0 };
const url = (path) => (!path ? "" : path.startsWith("/") ? path : `/${path}`);

function query(form) {
  const params = new URLSearchParams();
  for (const [name, value] of new FormData(form)) if (value) params.set(name, String(value).trim());
  params.set("offset", String(state.offset));
  return params;
}

function row(item, openDetail) {
  const d = item.detection_details;
  const crop = el("img", { class: "thumb", alt: `plate ${d.plate_text}` });
  showImage(crop, item.file_path);
  return el(
    "tr",
    { class: "clickable", "data-plate": d.plate_text, onclick: () => openDetail(item.session_id) },
    el("td", { class: "when" }, el("time", {}, ...item.timestamp.split(" ").map((part) => el("span", {}, `${part} `)))),
    el("td", { class: "plate-cell" }, d.plate_text),
    el("td", {}, badge(d.plate_status)),
    el("td", { class: "wide" }, d.vehicle_type),
    el("td", { class: "wide" }, d.location),
    el("td", { class: "wide" }, percent(d.ocr_confidence)),
    el("td", {}, crop),
  );
}

async function fillOptions(select, path, field) {
  const body = await api(path);
  const have = new Set([...select.options].map((o) => o.value));
  for (const name of Object.keys(body[field] || {}).sort()) {
    if (name && !have.has(name)) select.append(el("option", { value: name }, name));
  }
}

export function setupHistory(openDetail) {
  const form = $("#history-form");
  const count = $("#history-count");
  const load = () =>
    guarded(count, async () => {
      const params = query(form);
      const body = await api(`/detections?${params}`);
      state.count = body.count;
      const limit = Number(params.get("limit") || 25);
      $("#history-rows").replaceChildren(...body.detections.map((item) => row(item, openDetail)));
      const last = Math.min(state.offset + body.detections.length, body.count);
      count.textContent = body.count ? `${state.offset + 1}-${last} of ${body.count} plates` : "no detections match";
      $("#history-page").textContent = `page ${Math.floor(state.offset / limit) + 1}`;
      $("#history-prev").disabled = state.offset === 0;
      $("#history-next").disabled = last >= body.count;
    });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    state.offset = 0;
    load();
  });
  const step = (sign) => () => {
    state.offset = Math.max(0, state.offset + sign * Number(form.elements.limit.value));
    load();
  };
  $("#history-prev").addEventListener("click", step(-1));
  $("#history-next").addEventListener("click", step(1));
  return {
    show: () => {
      guarded(count, () => fillOptions(form.elements.vehicleType, "/api/statistics/vehicle-distribution", "vehicleDistribution"));
      guarded(count, () => fillOptions(form.elements.plateType, "/api/statistics/plate-types", "plateTypes"));
      return load();
    },
  };
}

function field(name, value) {
  return value === undefined || value === null || value === "" ? [] : [el("dt", {}, name), el("dd", {}, value)];
}

// The detail dialog: a session's fields, plates and images; quick list buttons for its plate.
export function setupDetail(addToList) {
  const dialog = $("#detail");
  let plateText = "";
  $("#detail-white").addEventListener("click", () => addToList(plateText, "whitelist"));
  $("#detail-black").addEventListener("click", () => addToList(plateText, "blacklist"));
  return async function openDetail(sessionId) {
    const fields = $("#detail-fields");
    fields.replaceChildren();
    $("#detail-title").textContent = `Detection ${sessionId}`;
    if (!dialog.open) dialog.showModal();
    await guarded(fields, async () => {
      const s = await api(`/api/sessions/${sessionId}`);
      const plate = s.plates[0];
      plateText = plate ? plate.plate_text : "";
      $("#detail-title").textContent = plateText || `Detection ${sessionId}`;
      fields.replaceChildren(
        ...field("Time", s.timestamp),
        ...field("Location", s.location),
        ...field("Camera", s.camera_id),
        ...field("Direction", s.direction),
        ...field("Resolution", s.image_resolution),
        ...field("Processing", `${Math.round(s.processing_time * 1000)} ms`),
        ...s.plates.flatMap((p) => [
          el("dt", {}, "Plate"),
          el("dd", {}, `${p.plate_text} `, badge(p.plate_status), ` ${percent(p.ocr_confidence)} ${p.plate_type} ${p.plate_region}`),
        ]),
        ...s.vehicles.flatMap((v) => field("Vehicle", `${v.vehicle_class} ${percent(v.vehicle_confidence_score)}`)),
      );
      $("#detail-white").disabled = $("#detail-black").disabled = !plateText;
      showImage($("#detail-plate"), url(plate ? plate.plate_image_path : ""));
      showImage($("#detail-annotated"), url(s.annotated_path));
      showImage($("#detail-original"), url(s.original_path));
    });
  };
}
