// Cameras: GET /api/detect/lines (fps, errors, latest plate) and each line's latest frame.
import { api, showImage } from "./api.js";
import { $, badge, el, guarded } from "./util.js";

const fps = (value) => (Number(value) || 0).toFixed(1);

function cameraCard(line) {
  const frame = el("img", { class: "frame", alt: `latest frame of ${line.name || line.line_id}` });
  const stamp = encodeURIComponent(line.last_frame_at || "");
  showImage(frame, line.last_frame_at ? `/api/detect/line/${encodeURIComponent(line.line_id)}/frame?at=${stamp}` : "");
  return el(
    "article",
    { class: `camera ${line.connected ? "up" : "down"}`, "data-line": line.line_id },
    el("h3", {}, el("span", { class: "dot" }), line.name || line.line_id, el("small", {}, line.location)),
    frame,
    el(
      "dl",
      { class: "fields" },
      el("dt", {}, "fps in / analysed"),
      el("dd", {}, `${fps(line.fps_in)} / ${fps(line.fps_analysed)}`),
      el("dt", {}, "dropped"),
      el("dd", {}, String(line.frames_dropped)),
      el("dt", {}, "last frame"),
      el("dd", {}, line.last_frame_at || "none yet"),
      el("dt", {}, "latest plate"),
      el("dd", {}, line.latest_plate ? [`${line.latest_plate} `, badge(line.latest_plate_status)] : "none yet"),
    ),
    line.last_error ? el("p", { class: "camera-error" }, line.last_error) : null,
  );
}

export function setupCameras() {
  const grid = $("#camera-grid");
  const empty = $("#cameras-empty");
  const load = () =>
    guarded(empty, async () => {
      const lines = await api("/api/detect/lines");
      empty.hidden = lines.length > 0;
      empty.textContent = "No camera is configured (cameras: in the YAML).";
      grid.replaceChildren(...lines.map(cameraCard));
    });
  return { show: load, refresh: load };
}
