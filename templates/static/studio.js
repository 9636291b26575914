// The studio's editing page: the shared state and what keeps the editor's work (undo and redo,
// unsaved work kept on the server, saves queued while the server is away, the approval job).
// The grid, find and replace, and the timeline are parts (studio-*.js) loaded before this file;
// each registers itself on window.vkParts and gets the shared `vk` object.
//
// Editor text only ever goes into the page through textContent and .value (never innerHTML), so
// a caption reading "<script>" stays text. The norms are checked by the server with the caption
// engine's own rules (/api/SLUG/check); nothing here repeats them.
"use strict";
(() => {
  const root = document.querySelector("[data-vk-studio]");
  if (!root) return;
  const token = document.querySelector('meta[name="vk-token"]').content;
  const slug = root.dataset.slug;
  const $ = (id) => document.getElementById(id);
  const video = $("vk-video");
  const KEEP_MS = 400; // unsaved work reaches the server within this (plus the request)

  const listeners = {};
  const vk = {
    $, video, slug, root,
    cues: [], sha: null, norms: {}, speakers: [], selected: 0, selection: new Set(),
    checked: null, durationMs: Number(root.dataset.duration),
    on(name, fn) { (listeners[name] ||= []).push(fn); },
    emit(name, ...args) { (listeners[name] || []).forEach((fn) => fn(...args)); },
  };
  window.vk = vk; // for the browser tests and the benchmarks: the page's state, read-only use

  // -- talking to the server -----------------------------------------------------------------------
  vk.call = async (path, body) => {
    const options = { method: body === undefined ? "GET" : "POST", credentials: "same-origin",
                      headers: { "X-Videokit-Token": token } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(`/api/${slug}${path}`, options);
    } catch (e) {
      return { ok: false, status: 0, offline: true, data: { error: "Serveren svarer ikke." } };
    }
    let data = {};
    try { data = await response.json(); } catch (e) { data = { error: `Serveren svarede ${response.status}.` }; }
    if (response.status === 403 && !data.error) data.error = "Studiet afviste nøglen; genindlæs siden.";
    return { ok: response.ok, status: response.status, data };
  };

  // -- messages: near where the editor acts, announced by the live region they are written to --
  vk.say = (message, where = "vk-status") => {
    if (where === "vk-status") $("vk-alert").textContent = "";
    $(where).textContent = message;
    $(where).classList.remove("vk-bad");
  };
  vk.warn = (message, where = "vk-alert") => {
    $(where).textContent = message;
    $(where).classList.add("vk-bad");
  };

  vk.clock = (ms) => {
    const pad = (n, w) => String(n).padStart(w, "0");
    const h = Math.floor(ms / 3600000), m = Math.floor(ms / 60000) % 60;
    const s = Math.floor(ms / 1000) % 60;
    return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)},${pad(ms % 1000, 3)}`;
  };
  // Typed times: 00:01:02,345, 1:02,3, 62,345 or 62.345 (seconds); null when not a time.
  vk.parseClock = (text) => {
    const m = String(text).trim().match(/^(?:(?:(\d+):)?(\d{1,2}):)?(\d{1,5})(?:[,.](\d{1,3}))?$/);
    if (!m) return null;
    const [, h, min, s, frac] = m;
    const ms = frac ? Number(frac.padEnd(3, "0")) : 0;
    return ((Number(h || 0) * 60 + Number(min || 0)) * 60 + Number(s)) * 1000 + ms;
  };
  vk.here = () => Math.round(video.currentTime * 1000);

  // -- undo and redo -----------------------------------------------------------------------------
  const undoStack = [], redoStack = [];
  let typingSnapshot = false;
  const state = () => JSON.stringify({ cues: vk.cues, selected: vk.selected });
  function buttons() {
    $("vk-undo").disabled = undoStack.length === 0;
    $("vk-redo").disabled = redoStack.length === 0;
  }
  vk.snapshot = () => {
    undoStack.push(state());
    if (undoStack.length > 500) undoStack.shift();
    redoStack.length = 0;
    buttons();
  };
  function restore(from, to, said) {
    if (!from.length) { vk.say(said[0], "vk-edit-msg"); return; }
    to.push(state());
    const s = JSON.parse(from.pop());
    vk.cues = s.cues;
    vk.selected = Math.min(s.selected, vk.cues.length - 1);
    buttons();
    vk.changed(true);
    vk.say(said[1], "vk-edit-msg");
  }
  vk.undo = () => restore(undoStack, redoStack, ["Der er intet at fortryde.", "Sidste ændring er fortrudt."]);
  vk.redo = () => restore(redoStack, undoStack, ["Der er intet at gentage.", "Ændringen er gentaget."]);
  vk.typing = () => { if (!typingSnapshot) { vk.snapshot(); typingSnapshot = true; } };
  vk.endTyping = () => { typingSnapshot = false; };
  vk.edit = (action) => {
    vk.snapshot();
    typingSnapshot = false;
    action();
    vk.changed(true);
  };

  // -- changes: checked by the server, kept by the server ------------------------------------------
  let dirty = false, checkTimer = null, keepTimer = null, version = 0;
  vk.changed = (structure) => {
    dirty = true;
    kept = false;
    version += 1;
    if (structure) vk.emit("structure"); else vk.emit("text");
    clearTimeout(checkTimer);
    checkTimer = setTimeout(runCheck, 300);
    clearTimeout(keepTimer);
    keepTimer = setTimeout(keep, KEEP_MS);
    showSaved();
  };
  async function runCheck() {
    const asked = JSON.stringify(vk.cues);
    const { ok, data } = await vk.call("/check", { cues: vk.cues });
    if (!ok || asked !== JSON.stringify(vk.cues)) return; // a newer check is on its way
    vk.checked = data;
    vk.emit("checked", data);
  }
  vk.recheck = runCheck;

  // The editor's id in this browser: unsaved work is kept per editor, so two people on one studio
  // do not get each other's. Made once and remembered by the browser.
  const editorId = (() => {
    let id = localStorage.getItem("vk-editor-id");
    if (!id || !/^[A-Za-z0-9_-]{8,64}$/.test(id)) {
      const bytes = crypto.getRandomValues(new Uint8Array(12));
      id = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
      localStorage.setItem("vk-editor-id", id);
    }
    return id;
  })();
  let kept = true, keptOnServer = true, queued = null, retryTimer = null, offering = false;
  async function keep() {
    if (!dirty) return;
    const sent = version;
    const { ok } = await vk.call("/unsaved", { editor_id: editorId, sha: vk.sha, cues: vk.cues });
    keptOnServer = ok;
    kept = ok && sent === version; // a change made meanwhile is kept by its own timer
    if (!ok) { clearTimeout(keepTimer); keepTimer = setTimeout(keep, 2000); }
    showSaved();
  }
  function showSaved() {
    let text;
    if (offering) text = "Ændringer, der ikke er gemt, venter på dit valg herunder.";
    else if (queued) text = "Ikke gemt endnu: serveren svarer ikke. Gemmes, så snart den svarer (1 gemning i kø).";
    else if (!keptOnServer) text = "Serveren svarer ikke: dine ændringer er kun i denne fane. Prøver igen …";
    else if (!dirty) text = "Alt er gemt.";
    else if (kept) text = "Ikke gemt, men holdt for dig på serveren.";
    else text = "Ikke gemt …";
    const el = $("vk-saved-state");
    if (el.textContent !== text) el.textContent = text;
    el.classList.toggle("vk-bad", Boolean(queued) || !keptOnServer);
  }

  // -- saving ------------------------------------------------------------------------------------
  vk.save = async () => {
    const sent = JSON.stringify(vk.cues);
    const { ok, status, offline, data } = await vk.call("/save", { sha: queued ? queued.sha : vk.sha,
      cues: vk.cues, editor_id: editorId });
    if (offline) {
      queued = { sha: queued ? queued.sha : vk.sha };
      showSaved();
      vk.warn("Ikke gemt endnu: serveren svarer ikke. Gemningen står i kø og sendes, så snart studiet kører igen.");
      clearTimeout(retryTimer);
      retryTimer = setTimeout(vk.save, 2000);
      return false;
    }
    queued = null;
    clearTimeout(retryTimer);
    if (ok) {
      vk.sha = data.sha;
      if (sent === JSON.stringify(vk.cues)) dirty = false;
      kept = keptOnServer = true;
      showSaved();
      vk.say(data.message);
      return true;
    }
    clearTimeout(keepTimer);
    keep(); // refused, so kept on the server at once: a reload offers it back
    vk.warn(data.error || `Ikke gemt (svar ${status}).`);
    if (data.problems && data.problems.length) vk.emit("goto", data.problems[0].cue);
    return false;
  };

  // -- offered back: unsaved work from before a reload or a restart ------------------------------
  async function offerUnsaved() {
    const { ok, data } = await vk.call(`/unsaved?editor=${editorId}`);
    const work = ok && data.unsaved;
    if (!work || JSON.stringify(work.cues) === JSON.stringify(vk.cues)) return;
    const box = $("vk-restore");
    const when = work.time.slice(11, 16);
    $("vk-restore-text").textContent =
      `Du har ændringer fra kl. ${when} UTC, som ikke blev gemt (${work.cues.length} tekster). ` +
      (work.sha === vk.sha ? "De bygger på den gemte version."
        : "Den gemte version er ændret siden; gemmer du, bevares begge versioner.");
    box.hidden = false;
    offering = true;
    showSaved();
    $("vk-restore-keep").focus();
    $("vk-restore-keep").onclick = () => {
      box.hidden = true;
      offering = false;
      vk.snapshot();
      vk.cues = work.cues;
      vk.sha = work.sha;
      vk.changed(true);
      vk.say("Dine ændringer er hentet tilbage. Husk at gemme.");
    };
    $("vk-restore-drop").onclick = async () => {
      box.hidden = true;
      offering = false;
      showSaved();
      await vk.call("/unsaved", { editor_id: editorId, drop: true });
      vk.say("Ændringerne er kasseret; du ser den gemte version.");
    };
  }

  // -- approving: a job on the server, followed here ---------------------------------------------
  const approveButton = $("vk-approve-button");
  async function follow(job) {
    const bar = $("vk-approve-progress");
    approveButton.disabled = true;
    bar.hidden = false;
    while (job && job.state === "running") {
      bar.value = Math.max(0.2, job.step - 0.5);
      bar.max = job.steps;
      vk.say(job.message || "Godkendelsen er startet …", "vk-approve-msg");
      await new Promise((r) => setTimeout(r, 500));
      const { ok, data } = await vk.call("/approve");
      if (ok) job = data.job;
    }
    approveButton.disabled = false;
    bar.value = bar.max;
    if (job && job.state === "done") vk.say(job.message, "vk-approve-msg");
    else if (job) vk.warn(job.message, "vk-approve-msg");
    root.dataset.approved = job ? job.state : "";
  }
  async function approve(event) {
    event.preventDefault();
    if (dirty) { vk.warn("Gem dine ændringer, før du godkender.", "vk-approve-msg"); return; }
    approveButton.disabled = true;
    const { ok, data } = await vk.call("/approve", { editor: $("vk-editor").value, note: $("vk-note").value });
    if (!ok) { approveButton.disabled = false; vk.warn(data.error, "vk-approve-msg"); return; }
    if (!data.started) vk.say("Godkendelsen af denne version kører allerede; her er dens fremskridt.", "vk-approve-msg");
    await follow(data.job);
  }
  $("vk-approve-panel").addEventListener("submit", approve);

  // -- panels, buttons and keys ------------------------------------------------------------------
  vk.actions = { save: vk.save, undo: vk.undo, redo: vk.redo };
  vk.keys = {}; // e.code (key position: on a Mac, Option+P types "π") -> action, with Alt
  vk.shiftKeys = {};
  vk.togglePanel = (id, open) => {
    const panel = $(id);
    const button = document.querySelector(`[data-panel="${id}"]`);
    const show = open === undefined ? panel.hidden : open;
    panel.hidden = !show;
    button.setAttribute("aria-expanded", String(show));
    if (show) panel.querySelector("input").focus();
  };
  document.querySelectorAll("[data-panel]").forEach((b) => {
    b.addEventListener("click", () => vk.togglePanel(b.dataset.panel));
  });
  vk.keys.KeyF = () => vk.togglePanel("vk-find-panel", true);
  vk.keys.KeyZ = vk.undo;
  vk.keys.KeyY = vk.redo;

  document.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && !e.altKey && e.code === "KeyS") { e.preventDefault(); vk.save(); return; }
    if (!e.altKey || e.ctrlKey || e.metaKey) return;
    const run = (e.shiftKey ? vk.shiftKeys : vk.keys)[e.code];
    if (run) { e.preventDefault(); run(); }
  });
  // Closing or reloading before the last change was kept: sent on the way out (the key is in the
  // address, since a beacon carries no headers of its own).
  window.addEventListener("pagehide", () => {
    if (!dirty || kept) return;
    const body = JSON.stringify({ editor_id: editorId, sha: vk.sha, cues: vk.cues });
    navigator.sendBeacon(`/api/${slug}/unsaved?token=${encodeURIComponent(token)}`,
      new Blob([body], { type: "application/json" }));
  });
  window.addEventListener("beforeunload", (e) => {
    // Kept on the server already: a reload offers it back, so only work not yet kept asks.
    if (dirty && (!kept || queued)) { e.preventDefault(); e.returnValue = ""; }
  });

  (window.vkParts || []).forEach((part) => part(vk));

  document.querySelectorAll("[data-action]").forEach((button) => {
    button.addEventListener("mousedown", (e) => e.preventDefault()); // keep the caret in the text
    button.addEventListener("click", () => vk.actions[button.dataset.action]());
  });

  (async () => {
    const { ok, data } = await vk.call("");
    if (!ok) { vk.warn(`Kunne ikke hente teksterne: ${data.error || data.detail}`); return; }
    vk.cues = data.cues;
    vk.sha = data.sha;
    vk.norms = data.norms;
    vk.speakers = data.speakers;
    if (data.problem) vk.warn(data.problem);
    vk.emit("structure");
    await runCheck();
    await offerUnsaved();
    showSaved();
    const running = await vk.call("/approve");
    if (running.ok && running.data.job && running.data.job.state === "running") follow(running.data.job);
    root.dataset.ready = "true";
  })();
})();
