// DOM helpers shared by the views.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name in node && typeof value !== "string") node[name] = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child !== undefined && child !== null) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export const $ = (selector) => document.querySelector(selector);

// The list status as a coloured badge (whitelist green, blacklist red, anything else grey).
export function badge(status) {
  const known = status === "whitelist" || status === "blacklist" ? status : "unknown";
  return el("span", { class: `badge ${known}` }, status || "unknown");
}

export function percent(value) {
  return value === undefined || value === null ? "" : `${Math.round(Number(value) * 100)} %`;
}

// Run `work`; on failure write the message into `target` (an element) instead of throwing.
export async function guarded(target, work) {
  try {
    await work();
    if (target) target.classList.remove("error");
  } catch (error) {
    if (target) {
      target.hidden = false;
      target.textContent = error.message;
      target.classList.add("error");
    }
  }
}
