// The studio's condensing panel: a proposal per too-fast cue, to accept or reject. Text only
// ever enters the page through textContent. The proposals come from the server
// (/api/SLUG/condensing), made by the same rules as the review file; nothing here repeats them.
"use strict";
(() => {
  const root = document.querySelector("[data-vk-studio]");
  if (!root) return;
  const token = document.querySelector('meta[name="vk-token"]').content;
  const slug = root.dataset.slug;
  const el = (tag, text, cls) => {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  };
  const section = el("section", undefined, "vk-condense");
  section.setAttribute("aria-labelledby", "vk-condense-heading");
  const heading = el("h2", "Forslag til kortere tekst");
  heading.id = "vk-condense-heading";
  const intro = el("p", "");
  const status = el("p", "", "vk-status");
  status.setAttribute("role", "status");
  const list = el("ol", undefined, "vk-condense-list");
  section.append(heading, intro, status, list);
  root.append(section);

  const clock = (ms) => {
    const s = Math.floor(ms / 1000);
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  };
  const label = { "x": "brugt", "-": "afvist", " ": "åben" };

  async function call(body) {
    const options = { method: body ? "POST" : "GET", credentials: "same-origin",
                      headers: { "X-Videokit-Token": token } };
    if (body) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(`/api/${slug}/condensing`, options);
    let data = {};
    try { data = await response.json(); } catch (e) { data = { error: response.statusText }; }
    return { ok: response.ok, data };
  }

  function row(p) {
    const item = el("li");
    item.append(el("p", `${clock(p.start_ms)} · ${label[p.mark] || p.mark} · ` +
      `${String(p.cps_before).replace(".", ",")} → ${String(p.cps_after).replace(".", ",")} ` +
      "tegn i sekundet"));
    item.append(el("p", `Nu: ${p.before.join(" / ")}`));
    item.append(el("p", `Forslag: ${p.after.join(" / ")}`));
    item.append(el("p", "Fjernet: " + p.cuts.map((c) => `«${c.text}» (${c.rule})`).join(", ")));
    if (p.mark === " ") {
      for (const [mark, text] of [["x", "Brug forslaget"], ["-", "Afvis"]]) {
        const button = el("button", text);
        button.type = "button";
        button.addEventListener("click", () => decide(p.start_ms, mark));
        item.append(button);
      }
    }
    return item;
  }

  async function load() {
    const { ok, data } = await call();
    if (!ok) { status.textContent = data.error || data.detail || "Forslagene kan ikke hentes."; return; }
    intro.textContent = `Normer: ${data.profile}. Udskriften beholder alle ord; intet bruges, ` +
      "før du vælger det.";
    list.replaceChildren(...data.proposals.map(row));
    if (!data.proposals.length) list.append(el("li", "Ingen forslag: teksterne kan læses i tide."));
  }

  async function decide(start_ms, mark) {
    const { ok, data } = await call({ start_ms, mark });
    status.textContent = ok ? `${data.message} Indlæs siden igen for at se teksten.`
                            : (data.error || data.detail || "Valget blev ikke gemt.");
    await load();
  }

  load();
})();
