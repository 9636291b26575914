/* The studio's panel for text shown in the video but not said (WCAG 1.2.5). Loaded by the video
   page with one script line; it adds its own section after the editor and talks only to
   /api/<slug>/screen. Per flag the editor chooses "siges", "synstolkes" (with a description,
   prefilled from what was read on screen) or "ikke nødvendig", under their own name. Every text
   is set with textContent or .value, never as HTML. Approval is refused until all are decided. */
(function () {
  "use strict";
  const root = document.querySelector("[data-vk-studio]");
  const meta = document.querySelector('meta[name="vk-token"]');
  if (!root || !meta) { return; }
  const slug = root.dataset.slug;
  const token = meta.content;
  const CHOICES = [["said", "Siges"], ["describe", "Synstolkes"], ["not needed", "Ikke nødvendig"]];

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  async function call(path, body) {
    const options = { method: body === undefined ? "GET" : "POST", credentials: "same-origin",
                      headers: { "X-Videokit-Token": token } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(`/api/${slug}/screen${path}`, options);
    let data = {};
    try { data = await response.json(); } catch (e) { data = { error: response.statusText }; }
    return { ok: response.ok, data };
  }

  const section = el("section", { "class": "vk-screen", "aria-labelledby": "vk-screen-heading" });
  section.appendChild(el("h2", { id: "vk-screen-heading" }, "Skærmtekst, der ikke siges"));
  const intro = el("p", {}, "Tekst i billedet, som talen ikke siger. Afgør hver tekst, før videoen godkendes.");
  const status = el("p", { "class": "vk-status", role: "status", "aria-live": "polite" });
  const nameLabel = el("label", { "for": "vk-screen-editor" }, "Dit navn ");
  const name = el("input", { id: "vk-screen-editor", type: "text", autocomplete: "name" });
  nameLabel.appendChild(name);
  const list = el("div");
  section.append(intro, nameLabel, list, status);

  function flagForm(flag) {
    const box = el("fieldset", { "class": "vk-screen-flag" });
    box.appendChild(el("legend", {}, `${flag.at} · ${flag.kind}: ${flag.text.replace(/\n/g, " / ")}`));
    const group = `vk-screen-${flag.id}`;
    CHOICES.forEach(([value, label]) => {
      const id = `${group}-${value.replace(" ", "-")}`;
      const radio = el("input", { type: "radio", name: group, id, value });
      if (flag.decision === value) { radio.checked = true; }
      const lab = el("label", { "for": id }, " " + label);
      const row = el("div");
      row.append(radio, lab);
      box.appendChild(row);
    });
    const descId = `${group}-description`;
    box.appendChild(el("label", { "for": descId }, "Synstolkning"));
    const description = el("textarea", { id: descId, rows: "2" });
    description.value = flag.description;
    box.appendChild(description);
    const save = el("button", { type: "button" }, "Gem afgørelse");
    const state = el("p", {}, flag.missing ? `Ikke afgjort (${flag.missing}).` : `Afgjort af ${flag.editor}: ${flag.decision_label}.`);
    save.addEventListener("click", async () => {
      const chosen = box.querySelector(`input[name="${group}"]:checked`);
      if (!chosen) { status.textContent = "Vælg en afgørelse først."; return; }
      const answer = await call(`/${encodeURIComponent(flag.id)}`,
        { choice: chosen.value, editor: name.value, description: description.value });
      if (!answer.ok) { status.textContent = answer.data.error || "Afgørelsen kunne ikke gemmes."; return; }
      const f = answer.data.flag;
      state.textContent = `Afgjort af ${f.editor}: ${f.decision_label}.`;
      status.textContent = answer.data.message;
    });
    box.append(save, state);
    return box;
  }

  call("").then((answer) => {
    if (!answer.ok) { status.textContent = answer.data.error || "Skærmteksten kunne ikke hentes."; return; }
    const flags = answer.data.flags || [];
    if (!flags.length) { return; } // nothing shown but not said: nothing to decide, no panel
    const editor = flags.find((f) => f.editor);
    if (editor) { name.value = editor.editor; }
    flags.forEach((f) => list.appendChild(flagForm(f)));
    root.appendChild(section);
  });
})();
