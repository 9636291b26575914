// The studio's cue grid: one dense row per cue (number, start, end, text, duration, characters
// per line, reading speed and the margin to each norm), and the edits on the selected cues.
// Only the rows in view exist in the page, so a 60-minute video (900 cues) types as fast as a
// short one; every row has the same height, which is what makes that a matter of arithmetic.
"use strict";
(window.vkParts ||= []).push((vk) => {
  const { $, video } = vk;
  const list = $("vk-cues");
  const scroller = $("vk-scroller");
  const ROW = 92; // px, as .vk-cue's height in studio.css
  const OVERSCAN = 4;
  let caret = null; // where the text cursor was in the selected cue, for "split"
  let anchor = null; // the row a Shift+click range starts from
  let stopAt = null;
  const comma = (n, d = 1) => n.toFixed(d).replace(".", ",");
  const editMsg = (m) => vk.say(m, "vk-edit-msg");
  const editWarn = (m) => vk.warn(m, "vk-edit-msg");
  const targets = () => (vk.selection.size ? [...vk.selection].sort((a, b) => a - b) : [vk.selected]);

  // -- the rows in view --------------------------------------------------------------------------
  let shown = [0, 0];
  function visibleRange() {
    const first = Math.max(0, Math.floor(scroller.scrollTop / ROW) - OVERSCAN);
    const last = Math.min(vk.cues.length, Math.ceil((scroller.scrollTop + scroller.clientHeight) / ROW) + OVERSCAN);
    return [first, Math.max(first, last)];
  }
  function render(force) {
    const range = visibleRange();
    if (!force && range[0] === shown[0] && range[1] === shown[1]) return;
    const active = document.activeElement;
    const focus = active && list.contains(active) ? { id: active.id, at: active.selectionStart } : null;
    list.style.height = `${vk.cues.length * ROW}px`;
    const rows = [];
    for (let i = range[0]; i < range[1]; i++) rows.push(row(i));
    list.replaceChildren(...rows);
    shown = range;
    if (focus) {
      const again = $(focus.id);
      if (again) { again.focus(); if (again.setSelectionRange && focus.at !== undefined && focus.at !== null) again.setSelectionRange(focus.at, focus.at); }
    }
    showChecked();
    showPlaying();
  }
  vk.renderGrid = () => render(true);
  scroller.addEventListener("scroll", () => render(false), { passive: true });
  window.addEventListener("resize", () => render(true));

  function input(id, label, value, cls) {
    const l = document.createElement("label");
    l.className = "vk-visually-hidden";
    l.htmlFor = id;
    l.textContent = label;
    const el = document.createElement("input");
    el.id = id;
    el.className = cls;
    el.value = value;
    el.autocomplete = "off";
    el.spellcheck = false;
    return [l, el];
  }

  function row(i) {
    const cue = vk.cues[i];
    const li = document.createElement("li");
    li.className = "vk-cue";
    li.style.top = `${i * ROW}px`;
    li.dataset.index = String(i);
    li.setAttribute("aria-posinset", String(i + 1));
    li.setAttribute("aria-setsize", String(vk.cues.length));
    li.classList.toggle("vk-selected", i === vk.selected);
    li.classList.toggle("vk-chosen", vk.selection.has(i));

    const num = document.createElement("div");
    num.className = "vk-cue-num";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.id = `vk-pick-${i}`;
    box.checked = vk.selection.has(i);
    const boxLabel = document.createElement("label");
    boxLabel.htmlFor = box.id;
    boxLabel.className = "vk-visually-hidden";
    boxLabel.textContent = `Vælg tekst ${i + 1}`;
    box.addEventListener("click", (e) => pick(i, box.checked, e.shiftKey));
    const time = document.createElement("button");
    time.type = "button";
    time.className = "vk-cue-time";
    const hidden = document.createElement("span");
    hidden.className = "vk-visually-hidden";
    hidden.textContent = `Tekst ${i + 1}, spil fra ${vk.clock(cue.start_ms)} – ${vk.clock(cue.end_ms)}`;
    time.append(String(i + 1), hidden);
    time.addEventListener("click", () => { select(i, true); });
    num.append(box, boxLabel, time);

    const times = document.createElement("div");
    times.className = "vk-cue-times";
    const [sl, start] = input(`vk-start-${i}`, `Start for tekst ${i + 1}`, vk.clock(cue.start_ms), "vk-time");
    const [el, end] = input(`vk-end-${i}`, `Slut for tekst ${i + 1}`, vk.clock(cue.end_ms), "vk-time");
    for (const [field, which] of [[start, "start_ms"], [end, "end_ms"]]) {
      field.addEventListener("focus", () => select(i, false));
      field.addEventListener("change", () => typedTime(i, which, field));
    }
    times.append(sl, start, el, end);

    const body = document.createElement("div");
    body.className = "vk-cue-body";
    const speaker = document.createElement("span");
    speaker.className = "vk-cue-speaker";
    speaker.textContent = cue.speaker ? cue.speaker : "";
    const label = document.createElement("label");
    label.className = "vk-visually-hidden";
    label.htmlFor = `vk-text-${i}`;
    label.textContent = `Tekst ${i + 1}`;
    const area = document.createElement("textarea");
    area.id = `vk-text-${i}`;
    area.rows = 2;
    area.dataset.index = String(i);
    area.value = cue.text;
    area.lang = "da";
    area.spellcheck = false; // the studio's own Danish check lists the words instead
    area.setAttribute("aria-describedby", `vk-problems-${i} vk-numbers-${i}`);
    area.addEventListener("focus", () => { vk.endTyping(); select(i, false); });
    area.addEventListener("input", () => {
      vk.typing();
      vk.cues[i].text = area.value;
      caret = area.selectionStart;
      liveText(i);
      vk.changed(false);
    });
    const remember = () => { caret = area.selectionStart; };
    area.addEventListener("keyup", remember);
    area.addEventListener("click", remember);
    const problems = document.createElement("p");
    problems.className = "vk-problems";
    problems.id = `vk-problems-${i}`;
    body.append(speaker, label, area, problems);

    const numbers = document.createElement("div");
    numbers.className = "vk-numbers";
    numbers.id = `vk-numbers-${i}`;
    li.append(num, times, body, numbers);
    return li;
  }

  function typedTime(i, which, field) {
    const ms = vk.parseClock(field.value);
    if (ms === null) {
      editWarn(`Tekst ${i + 1}: „${field.value}“ er ikke en tid. Skriv fx 00:01:02,345 eller 62,3.`);
      field.value = vk.clock(vk.cues[i][which]);
      return;
    }
    vk.edit(() => { vk.cues[i][which] = ms; });
    editMsg(`Tekst ${i + 1}: ${which === "start_ms" ? "start" : "slut"} er nu ${vk.clock(ms)}.`);
  }

  // -- what the server found, shown in the rows in view -------------------------------------------
  function byCue(data) {
    const found = new Map();
    const add = (i, kind, value) => {
      if (!found.has(i)) found.set(i, { norms: [], unsure: [], spelling: [], problems: [] });
      found.get(i)[kind].push(value);
    };
    for (const v of data.violations || []) add(v.cue, "norms", `${v.label} (${v.detail})`);
    for (const [i, words] of Object.entries(data.unsure || {})) words.forEach((w) => add(Number(i), "unsure", w));
    for (const [i, words] of Object.entries(data.spelling || {})) words.forEach((w) => add(Number(i), "spelling", w));
    for (const p of data.problems || []) add(p.cue, "problems", p.message);
    return found;
  }
  let found = new Map();
  vk.problemCues = () => [...found.keys()].sort((a, b) => a - b);
  vk.on("checked", (data) => {
    found = byCue(data);
    let unsure = 0, spelling = 0;
    found.forEach((f) => { unsure += f.unsure.length; spelling += f.spelling.length; });
    $("vk-summary").textContent =
      `${vk.cues.length} undertekster, ${(data.violations || []).length} normbrud, ${unsure} usikre ord, ` +
      `${data.speller === false ? "stavekontrol ikke installeret" : `${spelling} stavefejl`}.` +
      (data.error ? ` Kan ikke gemmes endnu: ${data.error}` : "");
    showChecked();
  });

  function margin(value, unit, what) {
    const span = document.createElement("span");
    span.className = value < 0 ? "vk-m-bad" : value <= 0.1 * Math.abs(what) ? "vk-m-tight" : "vk-m-ok";
    return span;
  }
  function showChecked() {
    const data = vk.checked || {};
    for (const li of list.children) {
      const i = Number(li.dataset.index);
      const f = found.get(i);
      const line = li.querySelector(".vk-problems");
      line.replaceChildren();
      if (f && f.problems.length) line.append(`Kan ikke gemmes: ${f.problems.join("; ")}. `);
      if (f && f.norms.length) line.append(`Normbrud: ${f.norms.join("; ")}. `);
      if (f && f.unsure.length) {
        line.append("Usikre ord: ");
        f.unsure.forEach((word, k) => {
          const mark = document.createElement("mark");
          mark.textContent = word;
          const ok = document.createElement("button");
          ok.type = "button";
          ok.className = "vk-suggest";
          ok.textContent = "Tjekket";
          ok.setAttribute("aria-label", `Tjekket: ${word} i tekst ${i + 1} er rigtigt`);
          ok.addEventListener("click", async () => {
            const { ok: done, data: answer } = await vk.call("/checked", { cue: vk.cues[i], word });
            if (done) { editMsg(answer.message); vk.recheck(); } else editWarn(answer.error);
          });
          line.append(...(k ? [", ", mark, " ", ok] : [mark, " ", ok]));
        });
        line.append(". ");
      }
      if (f && f.spelling.length) {
        line.append("Stavning: ");
        f.spelling.forEach((w, k) => {
          const mark = document.createElement("mark");
          mark.className = "vk-misspelled";
          mark.textContent = w.word;
          line.append(...(k ? ["; ", mark] : [mark]));
          w.suggestions.slice(0, 2).forEach((s) => {
            const b = document.createElement("button");
            b.type = "button";
            b.className = "vk-suggest";
            b.textContent = s;
            b.setAttribute("aria-label", `Ret ${w.word} til ${s} i tekst ${i + 1}`);
            b.addEventListener("click", () => vk.fixWord(i, w.word, s));
            line.append(" ", b);
          });
        });
      }
      li.classList.toggle("vk-flag", Boolean(f && (f.norms.length || f.problems.length)));
      li.classList.toggle("vk-unsure", Boolean(f && f.unsure.length));
      const n = (data.numbers || [])[i];
      const box = li.querySelector(".vk-numbers");
      box.replaceChildren();
      if (!n) continue;
      const m = n.margin;
      const cps = margin(m.cps, "", vk.norms.max_cps || 17);
      cps.textContent = `${comma(n.cps)} tegn/s (${m.cps >= 0 ? `${comma(m.cps)} under` : `${comma(-m.cps)} over`})`;
      const chars = margin(Math.min(m.line_chars, m.lines * 100), "", vk.norms.max_line_chars || 42);
      chars.textContent = `tegn ${n.line_chars.join("/")} (${m.line_chars >= 0 ? `${m.line_chars} fri` : `${-m.line_chars} for mange`})`;
      const shortest = Math.min(m.min_duration_ms, m.max_duration_ms);
      const dur = margin(shortest, "", 1000);
      dur.textContent = `${comma(n.duration_ms / 1000, 2)} s` +
        (m.min_duration_ms < 0 ? ` (${comma(-m.min_duration_ms / 1000, 2)} s for kort)`
          : m.max_duration_ms < 0 ? ` (${comma(-m.max_duration_ms / 1000, 2)} s for lang)` : "");
      box.append(dur, cps, chars);
    }
  }

  // -- selecting, following playback --------------------------------------------------------------
  function select(i, seek) {
    if (i < 0 || i >= vk.cues.length) return;
    if (i !== vk.selected) caret = null;
    vk.selected = i;
    if (seek) video.currentTime = vk.cues[i].start_ms / 1000;
    for (const li of list.children) li.classList.toggle("vk-selected", Number(li.dataset.index) === i);
    const cue = vk.cues[i];
    $("vk-selected-label").textContent = cue ? `(nr. ${i + 1} af ${vk.cues.length})` : "";
    $("vk-start").textContent = cue ? vk.clock(cue.start_ms) : "–";
    $("vk-end").textContent = cue ? vk.clock(cue.end_ms) : "–";
    vk.emit("select", i);
  }
  vk.select = select;
  function pick(i, on, range) {
    if (range && anchor !== null) {
      const [a, b] = anchor < i ? [anchor, i] : [i, anchor];
      for (let k = a; k <= b; k++) vk.selection.add(k);
    } else if (on) vk.selection.add(i); else vk.selection.delete(i);
    anchor = i;
    for (const li of list.children) {
      const k = Number(li.dataset.index);
      li.classList.toggle("vk-chosen", vk.selection.has(k));
      li.querySelector('input[type="checkbox"]').checked = vk.selection.has(k);
    }
    editMsg(vk.selection.size ? `${vk.selection.size} tekster er valgt.` : "Ingen tekster er valgt.");
  }
  vk.pick = pick;
  vk.goto = (i, focusText = true) => {
    if (i < 0 || i >= vk.cues.length) return;
    const top = i * ROW, bottom = top + ROW;
    if (top < scroller.scrollTop || bottom > scroller.scrollTop + scroller.clientHeight) {
      scroller.scrollTop = Math.max(0, top - ROW);
    }
    render(true);
    select(i, false);
    if (focusText) $(`vk-text-${i}`).focus();
  };
  vk.on("goto", (i) => vk.goto(i));
  function playingIndex() {
    const ms = video.currentTime * 1000;
    let lo = 0, hi = vk.cues.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1, c = vk.cues[mid];
      if (ms < c.start_ms) hi = mid - 1; else if (ms >= c.end_ms) lo = mid + 1; else return mid;
    }
    return -1;
  }
  let lastPlaying = -2;
  function showPlaying() {
    const now = playingIndex();
    for (const li of list.children) {
      const on = Number(li.dataset.index) === now;
      li.classList.toggle("vk-playing", on);
      const button = li.querySelector(".vk-cue-time");
      if (on) button.setAttribute("aria-current", "true"); else button.removeAttribute("aria-current");
    }
    // The list follows playback, without taking the focus from what the editor types in.
    if (!video.paused && now >= 0 && now !== lastPlaying) {
      const top = now * ROW;
      if (top < scroller.scrollTop || top + ROW > scroller.scrollTop + scroller.clientHeight) {
        scroller.scrollTop = Math.max(0, top - ROW);
        render(false);
      }
    }
    lastPlaying = now;
  }
  video.addEventListener("timeupdate", () => {
    const cue = vk.cues[vk.selected];
    if ($("vk-loop").checked && cue && video.currentTime >= cue.end_ms / 1000) {
      video.currentTime = cue.start_ms / 1000;
    } else if (stopAt !== null && video.currentTime >= stopAt) { video.pause(); stopAt = null; }
    showPlaying();
  });
  video.addEventListener("seeked", showPlaying);
  $("vk-rate").addEventListener("change", () => { video.playbackRate = Number($("vk-rate").value); });

  // -- the player shows the captions as edited ----------------------------------------------------
  // WebVTT cue text is markup to the player, so the text is escaped (it stays text). Typing
  // changes one cue's text in place; only a change of structure rebuilds the track.
  let liveTrack = null, trackCues = [];
  const cueText = (text) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  function updateTrack() {
    if (typeof VTTCue === "undefined") return;
    if (!liveTrack) {
      const saved = video.querySelector("track");
      Array.from(video.textTracks).forEach((t) => { t.mode = "disabled"; });
      liveTrack = video.addTextTrack("captions", "Undertekster (som redigeret)", saved ? saved.srclang : "da");
      liveTrack.mode = "showing";
    }
    trackCues.forEach((c) => { if (c) liveTrack.removeCue(c); });
    trackCues = vk.cues.map((c) => {
      if (!(c.end_ms > c.start_ms)) return null;
      const v = new VTTCue(c.start_ms / 1000, c.end_ms / 1000, cueText(c.text));
      liveTrack.addCue(v);
      return v;
    });
  }
  function liveText(i) {
    if (trackCues[i]) trackCues[i].text = cueText(vk.cues[i].text);
  }

  function speakerNames() {
    const names = new Set(vk.speakers);
    vk.cues.forEach((c) => { if (c.speaker) names.add(c.speaker); });
    $("vk-speakers").replaceChildren(...[...names].sort().map((n) => {
      const option = document.createElement("option");
      option.value = n;
      return option;
    }));
  }
  vk.on("structure", () => {
    vk.selection.forEach((k) => { if (k >= vk.cues.length) vk.selection.delete(k); });
    $("vk-count").textContent = `(${vk.cues.length})`;
    render(true);
    select(Math.min(vk.selected, vk.cues.length - 1), false);
    speakerNames();
    updateTrack();
  });

  // -- edits --------------------------------------------------------------------------------------
  function setTime(which, time, label) {
    const cue = vk.cues[vk.selected];
    if (!cue) return;
    const ms = Math.max(0, Math.round(time(cue)));
    if (ms === cue[which]) { editMsg(`Tekst ${vk.selected + 1}: ${label} er allerede ${vk.clock(ms)}.`); return; }
    vk.edit(() => { cue[which] = ms; });
    editMsg(`Tekst ${vk.selected + 1}: ${label} er nu ${vk.clock(ms)}.`);
  }
  vk.setTime = setTime;
  const snap = (which) => (c) => {
    const t = vk.speechEdge ? vk.speechEdge(c[which], which === "start_ms" ? 0 : 1) : null;
    return t === null ? c[which] : t;
  };
  function split() {
    const cue = vk.cues[vk.selected];
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
    if (!first || !second) { editWarn("Sæt markøren mellem to ord i teksten for at dele den."); return; }
    const gap = vk.norms.min_gap_ms || 0;
    const span = cue.end_ms - cue.start_ms;
    const middle = cue.start_ms + Math.round(span * first.length / (first.length + second.length));
    const i = vk.selected;
    vk.edit(() => {
      const next = { start_ms: Math.min(cue.end_ms - 1, middle + Math.ceil(gap / 2)),
                     end_ms: cue.end_ms, text: second, speaker: cue.speaker };
      cue.end_ms = Math.max(cue.start_ms + 1, middle - Math.floor(gap / 2));
      cue.text = first;
      vk.cues.splice(i + 1, 0, next);
    });
    caret = null;
    editMsg(`Tekst ${i + 1} er delt i to.`);
    vk.goto(i + 1);
  }
  function merge() {
    const i = vk.selected;
    const cue = vk.cues[i], next = vk.cues[i + 1];
    if (!cue || !next) { editWarn("Der er ingen næste tekst at flette med."); return; }
    vk.edit(() => {
      cue.text = `${cue.text.trim()}\n${next.text.trim()}`;
      cue.end_ms = next.end_ms;
      vk.cues.splice(i + 1, 1);
    });
    editMsg(`Tekst ${i + 1} og ${i + 2} er flettet.`);
    vk.goto(i);
  }
  function insert() {
    const t = vk.here();
    const gap = vk.norms.min_gap_ms || 0;
    let at = vk.cues.findIndex((c) => c.start_ms > t);
    if (at < 0) at = vk.cues.length;
    const prev = vk.cues[at - 1], next = vk.cues[at];
    const start = prev && prev.end_ms + gap > t ? prev.end_ms + gap : t;
    const end = Math.min(start + 2000, next ? next.start_ms - gap : vk.durationMs);
    if (end - start < 200) { editWarn("Der er ikke plads til en ny tekst her; flyt afspilningen til en pause."); return; }
    vk.edit(() => { vk.cues.splice(at, 0, { start_ms: start, end_ms: end, text: "", speaker: prev ? prev.speaker : null }); });
    vk.selection.clear();
    editMsg(`Ny tekst ${at + 1} fra ${vk.clock(start)} til ${vk.clock(end)}: skriv teksten.`);
    vk.goto(at);
  }
  function remove() {
    const gone = targets();
    if (gone.length >= vk.cues.length) { editWarn("Mindst én tekst skal blive tilbage."); return; }
    vk.edit(() => {
      for (const i of [...gone].reverse()) vk.cues.splice(i, 1);
      vk.selection.clear();
      vk.selected = Math.min(gone[0], vk.cues.length - 1);
    });
    editMsg(gone.length === 1 ? `Tekst ${gone[0] + 1} er slettet (Alt+Z fortryder).`
      : `${gone.length} tekster er slettet (Alt+Z fortryder).`);
    vk.goto(vk.selected);
  }
  function setSpeaker(clear) {
    const name = clear ? "" : $("vk-speaker").value.trim();
    if (!clear && !name) { editWarn("Skriv et navn i feltet Taler, eller brug „Fjern taler“."); return; }
    const which = targets();
    vk.edit(() => { which.forEach((i) => { vk.cues[i].speaker = name || null; }); });
    const what = which.length === 1 ? `Tekst ${which[0] + 1}` : `${which.length} tekster (${which[0] + 1}–${which[which.length - 1] + 1})`;
    editMsg(name ? `${what} siges nu af ${name}.` : `${what} har ingen taler.`);
  }
  function shift() {
    const raw = $("vk-shift").value.trim().replace(",", ".");
    const seconds = Number(raw);
    if (!raw || !Number.isFinite(seconds) || seconds === 0) {
      editWarn("Skriv hvor mange sekunder, fx +0,5 eller -1,2."); return;
    }
    const ms = Math.round(seconds * 1000);
    const which = vk.selection.size ? targets() : vk.cues.map((_, i) => i);
    vk.edit(() => {
      which.forEach((i) => {
        const c = vk.cues[i];
        c.start_ms = Math.max(0, c.start_ms + ms);
        c.end_ms = Math.max(c.start_ms + 1, c.end_ms + ms);
      });
    });
    editMsg(`${which.length} tekster er flyttet ${comma(seconds, 3).replace(/0+$/, "").replace(/,$/, "")} s.`);
  }
  function replay() {
    const cue = vk.cues[vk.selected];
    if (!cue) return;
    video.currentTime = cue.start_ms / 1000;
    stopAt = cue.end_ms / 1000;
    video.play().catch(() => {});
  }
  function move(step) { vk.goto(Math.max(0, Math.min(vk.cues.length - 1, vk.selected + step))); }
  function playPause() {
    stopAt = null;
    if (video.paused) video.play().catch(() => {}); else video.pause();
  }
  function endAndNext() {
    setTime("end_ms", vk.here, "slut");
    if (vk.selected + 1 < vk.cues.length) vk.goto(vk.selected + 1);
  }
  function nextProblem() {
    const all = vk.problemCues();
    if (!all.length) { editMsg("Der er ingen problemer tilbage: ingen normbrud, usikre ord eller stavefejl."); return; }
    const next = all.find((i) => i > vk.selected) ?? all[0];
    vk.goto(next);
    const f = found.get(next);
    const what = [f.problems.length && "kan ikke gemmes", f.norms.length && "normbrud",
      f.unsure.length && "usikre ord", f.spelling.length && "stavefejl"].filter(Boolean).join(", ");
    editMsg(`Tekst ${next + 1}: ${what}.`);
  }
  async function reflow() {
    const { ok, data } = await vk.call("/reflow", { cues: vk.cues });
    if (!ok) { editWarn(data.error); if (data.problems && data.problems.length) vk.goto(data.problems[0].cue); return; }
    vk.edit(() => { vk.cues = data.cues; vk.selected = 0; vk.selection.clear(); });
    editMsg(`Teksten er lagt ud i ${vk.cues.length} undertekster; uændrede tekster har beholdt deres tider. Se dem igennem, og gem, eller fortryd.`);
  }
  vk.fixWord = (i, word, replacement) => {
    vk.edit(() => {
      vk.cues[i].text = vk.cues[i].text.replace(new RegExp(`(?<![\\p{L}\\p{N}])${word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\p{L}\\p{N}])`, "u"), replacement);
    });
    editMsg(`Tekst ${i + 1}: „${word}“ er rettet til „${replacement}“.`);
  };

  Object.assign(vk.actions, {
    "start-here": () => setTime("start_ms", vk.here, "start"),
    "start-minus": () => setTime("start_ms", (c) => c.start_ms - 100, "start"),
    "start-plus": () => setTime("start_ms", (c) => c.start_ms + 100, "start"),
    "start-speech": () => setTime("start_ms", snap("start_ms"), "start"),
    "end-here": () => setTime("end_ms", vk.here, "slut"),
    "end-minus": () => setTime("end_ms", (c) => c.end_ms - 100, "slut"),
    "end-plus": () => setTime("end_ms", (c) => c.end_ms + 100, "slut"),
    "end-speech": () => setTime("end_ms", snap("end_ms"), "slut"),
    "end-next": endAndNext,
    "next-problem": nextProblem,
    insert, delete: remove, split, merge, shift, reflow,
    speaker: () => setSpeaker(false), "no-speaker": () => setSpeaker(true),
  });
  Object.assign(vk.keys, {
    KeyP: playPause, KeyR: replay, KeyS: vk.actions["start-here"], KeyE: vk.actions["end-here"],
    KeyD: split, KeyM: merge, KeyI: insert, Delete: remove, KeyJ: endAndNext, KeyN: nextProblem,
    Comma: vk.actions["start-minus"], Period: vk.actions["start-plus"],
    KeyL: () => { $("vk-loop").checked = !$("vk-loop").checked; },
    ArrowUp: () => move(-1), ArrowDown: () => move(1),
  });
  Object.assign(vk.shiftKeys, {
    Comma: vk.actions["end-minus"], Period: vk.actions["end-plus"],
    KeyS: vk.actions["start-speech"], KeyE: vk.actions["end-speech"],
  });
  $("vk-speaker").addEventListener("keydown", (e) => {
    if (e.key === "Enter") { e.preventDefault(); setSpeaker(false); }
  });
});
