// The studio's editing page. Editor text only ever goes into the page through textContent and
// .value (never innerHTML), so a caption reading "<script>" stays text. The norms are checked by
// the server with the caption engine's own rules (/api/SLUG/check); nothing here repeats them.
"use strict";
(() => {
  const root = document.querySelector("[data-vk-studio]");
  if (!root) return;
  const token = document.querySelector('meta[name="vk-token"]').content;
  const slug = root.dataset.slug;
  const $ = (id) => document.getElementById(id);
  const video = $("vk-video");
  const list = $("vk-cues");
  const undoButton = $("vk-undo");

  let cues = [];
  let sha = null;
  let norms = {};
  let selected = 0;
  let caret = null; // where the text cursor was in the selected cue, for "split"
  let dirty = false;
  let stopAt = null;
  let checkTimer = null;
  let typingSnapshot = false;
  const undoStack = [];

  async function call(path, body) {
    const options = { method: body === undefined ? "GET" : "POST", credentials: "same-origin",
                      headers: { "X-Videokit-Token": token } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(`/api/${slug}${path}`, options);
    let data = {};
    try { data = await response.json(); } catch (e) { data = { error: response.statusText }; }
    return { ok: response.ok, status: response.status, data };
  }

  function say(message) { $("vk-alert").textContent = ""; $("vk-status").textContent = message; }
  function warn(message) { $("vk-alert").textContent = message; }

  function clock(ms) {
    const pad = (n, w) => String(n).padStart(w, "0");
    const h = Math.floor(ms / 3600000), m = Math.floor(ms / 60000) % 60;
    const s = Math.floor(ms / 1000) % 60;
    return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)},${pad(ms % 1000, 3)}`;
  }

  // -- undo ---------------------------------------------------------------------------------------
  function snapshot() {
    undoStack.push(JSON.stringify({ cues, selected }));
    if (undoStack.length > 500) undoStack.shift();
    undoButton.disabled = false;
  }
  function undo() {
    if (!undoStack.length) { say("Der er intet at fortryde."); return; }
    const state = JSON.parse(undoStack.pop());
    cues = state.cues;
    selected = Math.min(state.selected, cues.length - 1);
    undoButton.disabled = undoStack.length === 0;
    changed(true);
    say("Sidste ændring er fortrudt.");
  }
  function edit(action) {
    snapshot();
    action();
    changed(true);
  }
  function changed(structure) {
    dirty = true;
    if (structure) render();
    scheduleCheck();
  }

  // The player shows the captions as they are being edited: a track made here replaces the saved
  // one. WebVTT cue text is markup to the player, so the text is escaped (it stays text).
  let liveTrack = null;
  const cueText = (text) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  function updateTrack() {
    if (typeof VTTCue === "undefined") return;
    if (!liveTrack) {
      const saved = video.querySelector("track");
      Array.from(video.textTracks).forEach((t) => { t.mode = "disabled"; });
      liveTrack = video.addTextTrack("captions", "Undertekster (som redigeret)",
                                     saved ? saved.srclang : "da");
      liveTrack.mode = "showing";
    }
    Array.from(liveTrack.cues || []).forEach((c) => liveTrack.removeCue(c));
    cues.forEach((c) => {
      if (c.end_ms > c.start_ms) liveTrack.addCue(new VTTCue(c.start_ms / 1000, c.end_ms / 1000, cueText(c.text)));
    });
  }

  // -- the list -----------------------------------------------------------------------------------
  function item(i) { return list.children[i]; }
  function textArea(i) { return $(`vk-text-${i}`); }

  function render() {
    const focusedIndex = document.activeElement && document.activeElement.dataset
      ? document.activeElement.dataset.index : undefined;
    list.replaceChildren();
    cues.forEach((cue, i) => {
      const li = document.createElement("li");
      li.className = "vk-cue";
      const head = document.createElement("div");
      head.className = "vk-cue-head";
      const time = document.createElement("button");
      time.type = "button";
      time.className = "vk-cue-time";
      time.dataset.index = String(i);
      const number = document.createElement("span");
      number.className = "vk-visually-hidden";
      number.textContent = `Tekst ${i + 1}, spil fra `;
      time.append(number, `${clock(cue.start_ms)} – ${clock(cue.end_ms)}`);
      time.addEventListener("click", () => { select(i, true); });
      const speaker = document.createElement("span");
      speaker.className = "vk-cue-speaker";
      speaker.textContent = cue.speaker ? cue.speaker : "";
      head.append(time, speaker);
      const label = document.createElement("label");
      label.className = "vk-visually-hidden";
      label.htmlFor = `vk-text-${i}`;
      label.textContent = `Tekst ${i + 1}`;
      const area = document.createElement("textarea");
      area.id = `vk-text-${i}`;
      area.rows = 2;
      area.dataset.index = String(i);
      area.value = cue.text;
      area.setAttribute("aria-describedby", `vk-problems-${i}`);
      area.addEventListener("focus", () => { typingSnapshot = false; select(i, false); });
      area.addEventListener("input", () => {
        if (!typingSnapshot) { snapshot(); typingSnapshot = true; }
        cues[i].text = area.value;
        caret = area.selectionStart;
        changed(false);
      });
      const remember = () => { caret = area.selectionStart; };
      area.addEventListener("keyup", remember);
      area.addEventListener("click", remember);
      area.addEventListener("select", remember);
      const problems = document.createElement("p");
      problems.className = "vk-problems";
      problems.id = `vk-problems-${i}`;
      li.append(head, label, area, problems);
      list.append(li);
    });
    if (focusedIndex !== undefined && document.activeElement === document.body) {
      const again = textArea(Math.min(Number(focusedIndex), cues.length - 1));
      if (again) again.focus();
    }
    const names = new Set(initialSpeakers);
    cues.forEach((c) => { if (c.speaker) names.add(c.speaker); });
    $("vk-speakers").replaceChildren(...[...names].sort().map((n) => {
      const option = document.createElement("option");
      option.value = n;
      return option;
    }));
    showSelected();
    showPlaying();
  }
  let initialSpeakers = [];

  function select(i, seek) {
    if (i < 0 || i >= cues.length) return;
    if (i !== selected) caret = null;
    selected = i;
    if (seek) video.currentTime = cues[i].start_ms / 1000;
    showSelected();
  }
  function showSelected() {
    Array.from(list.children).forEach((li, i) => li.classList.toggle("vk-selected", i === selected));
    const cue = cues[selected];
    $("vk-selected-label").textContent = cue ? `(nr. ${selected + 1} af ${cues.length})` : "";
    $("vk-start").textContent = cue ? clock(cue.start_ms) : "–";
    $("vk-end").textContent = cue ? clock(cue.end_ms) : "–";
    if (cue && document.activeElement !== $("vk-speaker")) $("vk-speaker").value = cue.speaker || "";
  }
  function playingIndex() {
    const ms = video.currentTime * 1000;
    return cues.findIndex((c) => c.start_ms <= ms && ms < c.end_ms);
  }
  function showPlaying() {
    const now = playingIndex();
    Array.from(list.children).forEach((li, i) => {
      const on = i === now;
      li.classList.toggle("vk-playing", on);
      const button = li.querySelector(".vk-cue-time");
      if (on) button.setAttribute("aria-current", "true"); else button.removeAttribute("aria-current");
    });
  }
  video.addEventListener("timeupdate", () => {
    if (stopAt !== null && video.currentTime >= stopAt) { video.pause(); stopAt = null; }
    showPlaying();
  });
  video.addEventListener("seeked", showPlaying);

  // -- checks by the server -----------------------------------------------------------------------
  function scheduleCheck() {
    updateTrack();
    clearTimeout(checkTimer);
    checkTimer = setTimeout(runCheck, 300);
  }
  async function runCheck() {
    const asked = JSON.stringify(cues);
    const { ok, data } = await call("/check", { cues });
    if (!ok || asked !== JSON.stringify(cues)) return; // a newer check is on its way
    const byCue = new Map();
    for (const v of data.violations) {
      if (!byCue.has(v.cue)) byCue.set(v.cue, []);
      byCue.get(v.cue).push(`${v.label} (${v.detail})`);
    }
    let unsureCount = 0;
    Array.from(list.children).forEach((li, i) => {
      const found = byCue.get(i) || [];
      const unsure = data.unsure[String(i)] || [];
      unsureCount += unsure.length;
      const line = li.querySelector(".vk-problems");
      line.replaceChildren();
      if (found.length) line.append(`Normbrud: ${found.join("; ")}. `);
      if (unsure.length) {
        line.append("Usikre ord: ");
        unsure.forEach((word, k) => {
          const mark = document.createElement("mark");
          mark.textContent = word;
          line.append(...(k ? [", ", mark] : [mark]));
        });
      }
      li.classList.toggle("vk-flag", found.length > 0);
      li.classList.toggle("vk-unsure", unsure.length > 0);
    });
    $("vk-summary").textContent =
      `${cues.length} undertekster, ${data.violations.length} normbrud, ${unsureCount} usikre ord.` +
      (data.error ? ` Kan ikke gemmes endnu: ${data.error}` : "");
  }

  // -- edits --------------------------------------------------------------------------------------
  const here = () => Math.round(video.currentTime * 1000);
  function setTime(which, time) {
    const cue = cues[selected];
    if (!cue) return;
    edit(() => { cue[which] = Math.max(0, time(cue)); });
    say(`${which === "start_ms" ? "Start" : "Slut"} er nu ${clock(cue[which])}.`);
  }
  function split() {
    const cue = cues[selected];
    if (!cue) return;
    const text = cue.text;
    let at = caret;
    if (at === null || at <= 0 || at >= text.length) {
      const middle = Math.floor(text.length / 2);
      const space = text.indexOf(" ", middle);
      at = space > 0 ? space : text.lastIndexOf(" ", middle);
    }
    const first = text.slice(0, at).trim();
    const second = text.slice(at).trim();
    if (!first || !second) { warn("Sæt markøren mellem to ord i teksten for at dele den."); return; }
    const gap = norms.min_gap_ms || 0;
    const span = cue.end_ms - cue.start_ms;
    const middle = cue.start_ms + Math.round(span * first.length / (first.length + second.length));
    edit(() => {
      const next = { start_ms: Math.min(cue.end_ms - 1, middle + Math.ceil(gap / 2)),
                     end_ms: cue.end_ms, text: second, speaker: cue.speaker };
      cue.end_ms = Math.max(cue.start_ms + 1, middle - Math.floor(gap / 2));
      cue.text = first;
      cues.splice(selected + 1, 0, next);
    });
    caret = null;
    say(`Tekst ${selected + 1} er delt i to.`);
    textArea(selected + 1).focus();
  }
  function merge() {
    const cue = cues[selected];
    const next = cues[selected + 1];
    if (!cue || !next) { warn("Der er ingen næste tekst at flette med."); return; }
    edit(() => {
      cue.text = `${cue.text.trim()}\n${next.text.trim()}`;
      cue.end_ms = next.end_ms;
      cues.splice(selected + 1, 1);
    });
    say(`Tekst ${selected + 1} og ${selected + 2} er flettet.`);
    textArea(selected).focus();
  }
  function setSpeaker() {
    const cue = cues[selected];
    if (!cue) return;
    const name = $("vk-speaker").value.trim();
    edit(() => { cue.speaker = name || null; });
    say(name ? `Tekst ${selected + 1} siges nu af ${name}.` : `Tekst ${selected + 1} har ingen taler.`);
  }
  async function replaceAll(event) {
    event.preventDefault();
    const find = $("vk-find").value;
    const replacement = $("vk-replace-with").value;
    if (!find) return;
    const count = cues.reduce((n, c) => n + c.text.split(find).length - 1, 0);
    if (count === 0) { say(`„${find}“ findes ikke i teksterne.`); return; }
    edit(() => { cues.forEach((c) => { c.text = c.text.split(find).join(replacement); }); });
    let message = `${count} forekomster af „${find}“ er erstattet.`;
    if ($("vk-glossary").checked && replacement.trim()) {
      const { ok, data } = await call("/glossary", { term: replacement });
      if (!ok) { warn(`Ikke tilføjet til ordlisten: ${data.error}`); return; }
      message += ` ${data.message}`;
    }
    say(message);
  }
  async function reflow() {
    const { ok, data } = await call("/reflow", { cues });
    if (!ok) { warn(`Kunne ikke omfordele: ${data.error}`); return; }
    edit(() => { cues = data.cues; selected = 0; });
    say(`Teksten er lagt ud i ${cues.length} undertekster. Se dem igennem, og gem, eller fortryd.`);
  }
  async function save() {
    const { ok, status, data } = await call("/save", { sha, cues });
    if (ok) {
      sha = data.sha;
      dirty = false;
      say(data.message);
      return true;
    }
    if (status === 409) {
      warn(`Ikke gemt: teksterne er ændret et andet sted, siden du åbnede dem. Din version er gemt som kopi. ${data.error}`);
    } else {
      warn(`Ikke gemt: ${data.error}`);
    }
    return false;
  }
  async function approve(event) {
    event.preventDefault();
    if (dirty) { warn("Gem dine ændringer, før du godkender."); return; }
    const { ok, data } = await call("/approve", { editor: $("vk-editor").value, note: $("vk-note").value });
    if (!ok) { warn(data.error); return; }
    let job = data.job;
    while (job && job.state === "running") {
      say(job.message || "Godkender …");
      await new Promise((r) => setTimeout(r, 500));
      job = (await call("/approve")).data.job;
    }
    if (job && job.state === "done") say(job.message); else warn(job ? job.message : "Ikke godkendt.");
  }
  function replay() {
    const cue = cues[selected];
    if (!cue) return;
    video.currentTime = cue.start_ms / 1000;
    stopAt = cue.end_ms / 1000;
    video.play().catch(() => {});
  }
  function move(step) {
    const i = Math.max(0, Math.min(cues.length - 1, selected + step));
    select(i, true);
    textArea(i).focus();
  }
  function playPause() {
    stopAt = null;
    if (video.paused) video.play().catch(() => {}); else video.pause();
  }

  const actions = {
    "start-here": () => setTime("start_ms", here),
    "start-minus": () => setTime("start_ms", (c) => c.start_ms - 100),
    "start-plus": () => setTime("start_ms", (c) => c.start_ms + 100),
    "end-here": () => setTime("end_ms", here),
    "end-minus": () => setTime("end_ms", (c) => c.end_ms - 100),
    "end-plus": () => setTime("end_ms", (c) => c.end_ms + 100),
    split, merge, speaker: setSpeaker, undo, reflow, save,
  };
  document.querySelectorAll("[data-action]").forEach((button) => {
    button.addEventListener("mousedown", (e) => e.preventDefault()); // keep the caret in the text
    button.addEventListener("click", () => actions[button.dataset.action]());
  });
  $("vk-speaker").addEventListener("keydown", (e) => {
    if (e.key === "Enter") { e.preventDefault(); setSpeaker(); }
  });
  $("vk-replace").addEventListener("submit", replaceAll);
  $("vk-approve").addEventListener("submit", approve);

  // By key position (e.code), not by character: on a Mac, Option+P types "π".
  const keys = {
    KeyP: playPause, KeyR: replay, KeyS: actions["start-here"], KeyE: actions["end-here"],
    KeyD: split, KeyM: merge, KeyZ: undo, ArrowUp: () => move(-1), ArrowDown: () => move(1),
  };
  document.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && !e.altKey && e.code === "KeyS") { e.preventDefault(); save(); return; }
    if (!e.altKey || e.ctrlKey || e.metaKey) return;
    const run = keys[e.code];
    if (run) { e.preventDefault(); run(); }
  });
  window.addEventListener("beforeunload", (e) => { if (dirty) { e.preventDefault(); e.returnValue = ""; } });

  (async () => {
    const { ok, data } = await call("");
    if (!ok) { warn(`Kunne ikke hente teksterne: ${data.error || data.detail}`); return; }
    cues = data.cues;
    sha = data.sha;
    norms = data.norms;
    initialSpeakers = data.speakers;
    if (data.problem) warn(data.problem);
    render();
    updateTrack();
    await runCheck();
    root.dataset.ready = "true";
  })();
})();
