// Live view: every event of /api/events as a card; a blacklisted plate beeps.
import { api, showImage, streamEvents } from "./api.js";
import { $, badge, el, percent } from "./util.js";

const MAX_CARDS = 60;
const EARLIER_CARDS = 12; // the newest stored detections, shown below the live ones
const BEEP_AGAIN_MS = 10000; // a pass's preview and its stored detection beep once
const SOUND_ITEM = "alprd.sound";
let audio = null;

// WebAudio needs a user gesture first: the context is made on the first click or key.
function unlockAudio() {
  if (audio || !window.AudioContext) return;
  audio = new AudioContext();
}

export function soundOn() { return localStorage.getItem(SOUND_ITEM) !== "off"; }

const lastBeep = new Map();

function beep(plateText) {
  const now = performance.now();
  if (now - (lastBeep.get(plateText) ?? -Infinity) < BEEP_AGAIN_MS) return;
  lastBeep.set(plateText, now);
  if (lastBeep.size > 200) for (const [text, at] of lastBeep) if (now - at > BEEP_AGAIN_MS) lastBeep.delete(text);
  document.body.dataset.beeps = String(Number(document.body.dataset.beeps || 0) + 1);
  if (!soundOn() || !audio) return;
  const t0 = audio.currentTime;
  for (const [start, freq] of [[0, 880], [0.25, 660], [0.5, 880]]) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = "square";
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.15, t0 + start);
    gain.gain.exponentialRampToValueAtTime(0.001, t0 + start + 0.2);
    osc.connect(gain).connect(audio.destination);
    osc.start(t0 + start);
    osc.stop(t0 + start + 0.21);
  }
}

function card(event, openDetail) {
  const crop = el("img", { class: "crop", alt: `plate ${event.plate_text}` });
  showImage(crop, event.plate_image_url);
  const where = event.camera_id ? `${event.location || event.camera_id}` : event.location || "upload";
  const item = el(
    "li",
    {
      class: `event ${event.list_status} ${event.event}`,
      "data-kind": event.event,
      "data-plate": event.plate_text,
      "data-camera": event.camera_id,
    },
    crop,
    el("div", { class: "plate" }, event.plate_text || "?"),
    el(
      "div",
      { class: "meta" },
      badge(event.list_status),
      el("span", { class: "kind" }, event.event),
      el("span", {}, where),
      event.direction && event.direction !== "unknown" ? el("span", {}, event.direction) : null,
      event.vehicle_type ? el("span", {}, event.vehicle_type) : null,
      el("span", {}, percent(event.confidence)),
      el("time", {}, event.time),
    ),
  );
  if (event.session_id) {
    item.classList.add("clickable");
    item.addEventListener("click", () => openDetail(event.session_id, event));
  }
  return item;
}

// The card of this camera's preview of the same plate among the newest ones, if still shown.
function previewOf(list, event) {
  if (!event.camera_id) return null;
  const newest = [...list.children].slice(0, 10);
  return newest.find(
    (li) => li.dataset.kind === "preview" && li.dataset.camera === event.camera_id && li.dataset.plate === event.plate_text,
  );
}

// A /detections row in the shape of a live event (the page opens on the latest ones).
function asEvent(item) {
  const d = item.detection_details;
  return {
    event: "detection",
    plate_text: d.plate_text,
    confidence: d.ocr_confidence,
    list_status: d.plate_status,
    camera_id: "",
    location: d.location,
    direction: "",
    vehicle_type: d.vehicle_type,
    time: item.timestamp,
    session_id: item.session_id,
    plate_image_url: item.file_path,
  };
}

let loadingEarlier = false;

async function showEarlier(list, openDetail) {
  if (loadingEarlier || list.children.length) return;
  loadingEarlier = true;
  try {
    const body = await api(`/detections?limit=${EARLIER_CARDS}`);
    if (list.children.length || !body.detections.length) return;
    for (const item of body.detections) {
      const old = card(asEvent(item), openDetail);
      old.classList.add("earlier");
      old.dataset.kind = "stored";
      list.append(old);
    }
    $("#live-empty").hidden = true;
  } catch {
    // no key yet or the daemon is down: shown again with the view, and live events come anyway
  } finally {
    loadingEarlier = false;
  }
}

export function startLive({ openDetail, onDetection }) {
  for (const kind of ["pointerdown", "keydown"]) document.addEventListener(kind, unlockAudio, { once: true });
  const sound = $("#sound");
  const showSound = () => {
    sound.textContent = soundOn() ? "sound on" : "sound off";
    sound.setAttribute("aria-pressed", String(soundOn()));
  };
  sound.addEventListener("click", () => {
    localStorage.setItem(SOUND_ITEM, soundOn() ? "off" : "on");
    showSound();
  });
  showSound();
  const list = $("#live-list");
  const link = $("#link");
  const onEvent = (kind, event) => {
    if (kind !== "preview" && kind !== "detection") return;
    $("#live-empty").hidden = true;
    const fresh = card(event, openDetail);
    const preview = kind === "detection" ? previewOf(list, event) : null;
    if (preview) preview.replaceWith(fresh); // the pass's stored event takes its preview's place
    else list.prepend(fresh);
    while (list.children.length > MAX_CARDS) list.lastElementChild.remove();
    if (event.list_status === "blacklist") beep(event.plate_text);
    if (kind === "detection") onDetection();
  };
  const onState = (up) => {
    link.textContent = up ? "live" : "offline";
    link.classList.toggle("off", !up);
  };
  streamEvents(onEvent, onState);
  return { show: () => showEarlier(list, openDetail) };
}
