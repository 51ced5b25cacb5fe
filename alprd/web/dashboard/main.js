// The dashboard: tabs (#live, #history, #lists, #cameras, #stats), the key dialog, live events.
import { onKeyNeeded, storeKey, storedKey } from "./api.js";
import { setupCameras } from "./cameras.js";
import { setupDetail, setupHistory } from "./history.js";
import { setupLists } from "./lists.js";
import { startLive } from "./live.js";
import { setupStats } from "./stats.js";
import { $ } from "./util.js";

const CAMERA_REFRESH_MS = 5000;

function setupKeyDialog(onSaved) {
  const dialog = $("#key-dialog");
  const ask = (reason) => {
    $("#key-reason").textContent = reason || "";
    $("#key-input").value = storedKey();
    if (!dialog.open) dialog.showModal();
  };
  dialog.addEventListener("close", () => {
    if (dialog.returnValue === "save") storeKey($("#key-input").value.trim());
    else if (dialog.returnValue === "clear") storeKey("");
    else return;
    onSaved();
  });
  $("#key-button").addEventListener("click", () => ask("Stored in this browser only."));
  onKeyNeeded(ask);
}

function main() {
  const lists = setupLists();
  const addToList = (text, status) => lists.save(text, status).then(() => views.history.show());
  const openDetail = setupDetail(addToList);
  const views = {
    live: { show: () => {} }, // set below, once the stream is started
    history: setupHistory(openDetail),
    lists,
    cameras: setupCameras(),
    stats: setupStats(),
  };
  let current = "live";
  let refreshTimer = 0;
  const show = () => {
    const wanted = location.hash.slice(1);
    current = wanted in views ? wanted : "live";
    for (const section of document.querySelectorAll("[data-view]")) section.hidden = section.dataset.view !== current;
    for (const tab of document.querySelectorAll("[data-tab]")) {
      tab.classList.toggle("active", tab.dataset.tab === current);
      if (tab.dataset.tab === current) tab.setAttribute("aria-current", "page");
      else tab.removeAttribute("aria-current");
    }
    views[current].show();
  };
  window.addEventListener("hashchange", show);
  setInterval(() => {
    if (current === "cameras" && !document.hidden) views.cameras.refresh();
  }, CAMERA_REFRESH_MS);
  // A stored detection changes history and statistics: redraw the open one (at most once a second).
  const onDetection = () => {
    if (refreshTimer || (current !== "stats" && current !== "history")) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = 0;
      views[current].show();
    }, 1000);
  };
  setupKeyDialog(show);
  views.live = startLive({ openDetail, onDetection });
  show();
}

main();
