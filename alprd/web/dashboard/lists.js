// White and black lists: GET/POST /api/plate-status, DELETE /api/plate-status/{plate}.
import { api } from "./api.js";
import { $, badge, el, guarded } from "./util.js";

const OTHER = { whitelist: "blacklist", blacklist: "whitelist" };

export function setupLists() {
  const message = $("#list-message");
  const form = $("#list-form");

  const load = () =>
    guarded(message, async () => {
      const body = await api("/api/plate-status");
      const entries = [...body.plate_statuses].sort((a, b) => a.plate_text.localeCompare(b.plate_text));
      $("#list-rows").replaceChildren(
        ...entries.map((entry) =>
          el(
            "tr",
            { "data-plate": entry.plate_text, "data-status": entry.status },
            el("td", { class: "plate-cell" }, entry.plate_text),
            el("td", {}, badge(entry.status)),
            el(
              "td",
              { class: "actions" },
              el("button", { type: "button", class: "move", onclick: () => save(entry.plate_text, OTHER[entry.status]) }, `to ${OTHER[entry.status]}`),
              el("button", { type: "button", class: "remove danger", onclick: () => remove(entry.plate_text) }, "remove"),
            ),
          ),
        ),
      );
      if (!entries.length) message.textContent = "Both lists are empty.";
    });

  const save = (plateText, status) =>
    guarded(message, async () => {
      const body = await api("/api/plate-status", { method: "POST", json: { plate_text: plateText, status_type: status } });
      message.textContent = body.message;
      await load();
    });

  const remove = (plateText) =>
    guarded(message, async () => {
      const body = await api(`/api/plate-status/${encodeURIComponent(plateText)}`, { method: "DELETE" });
      message.textContent = body.message;
      await load();
    });

  // The lists apply to new reads at once; stored plates take them on when re-applied.
  $("#list-sync").addEventListener("click", () =>
    guarded(message, async () => {
      const body = await api("/api/plate-status/sync-all", { method: "POST" });
      const d = body.details;
      message.textContent = `Stored plates now: ${d.whitelist} whitelist, ${d.blacklist} blacklist, ${d.unclassified} unknown`;
    }),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = form.elements.plate_text.value.trim();
    if (text) save(text, form.elements.status_type.value).then(() => form.reset());
  });
  return { show: load, save };
}
