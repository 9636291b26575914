// The studio's timeline under the video: the waveform (peaks computed once on the server), the
// stretches heard as speech, the shot changes, the cues as regions whose edges are dragged (and
// snap to where speech starts or ends), click to play from a point, zoom, and a playhead that the
// view follows. Every drag has a keyboard equivalent: the start/end buttons and Alt+, / Alt+.
"use strict";
(window.vkParts ||= []).push((vk) => {
  const { $, video } = vk;
  const canvas = $("vk-timeline");
  const ctx = canvas.getContext("2d");
  const EDGE_PX = 6; // how near an edge the pointer grabs it
  const SNAP_MS = 150; // an edge dragged this near a speech onset or end lands on it
  let data = null;
  let t0 = 0, span = 10000; // the view: from t0, span ms wide

  const width = () => canvas.clientWidth || 600;
  const x = (ms) => ((ms - t0) / span) * width();
  const ms = (px) => Math.round(t0 + (px / width()) * span);
  function clampView() {
    const total = Math.max(vk.durationMs, 1000);
    span = Math.min(Math.max(span, 2000), total);
    t0 = Math.min(Math.max(0, t0), Math.max(0, total - span));
    canvas.dataset.t0 = String(t0);
    canvas.dataset.span = String(span);
  }

  // The nearest speech onset (side 0) or end (side 1) to `at`, within SNAP_MS, else null.
  vk.speechEdge = (at, side, within = SNAP_MS * 4) => {
    if (!data) return null;
    let best = null;
    for (const s of data.speech) {
      const t = s[side];
      if (Math.abs(t - at) <= within && (best === null || Math.abs(t - at) < Math.abs(best - at))) best = t;
    }
    return best;
  };

  function draw() {
    const dpr = window.devicePixelRatio || 1;
    const w = width(), h = canvas.clientHeight || 110;
    if (canvas.width !== Math.round(w * dpr)) { canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr); }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, w, h);
    const wave = h - 30; // the lower 30 px hold the cue regions
    if (data) {
      ctx.fillStyle = "#e7f0fb";
      for (const [a, b] of data.speech) if (b > t0 && a < t0 + span) ctx.fillRect(x(a), 0, x(b) - x(a), wave);
      ctx.fillStyle = "#4a4a4a";
      const f = data.frame_ms;
      const first = Math.max(0, Math.floor(t0 / f)), last = Math.min(data.peaks.length, Math.ceil((t0 + span) / f));
      const step = Math.max(1, Math.floor((last - first) / w)); // at most one bar per pixel
      for (let i = first; i < last; i += step) {
        let p = 0;
        for (let k = i; k < i + step && k < last; k++) p = Math.max(p, data.peaks[k]);
        const bar = (p / 100) * (wave / 2);
        ctx.fillRect(x(i * f), wave / 2 - bar, Math.max(1, x(f * step) - x(0)), bar * 2 || 1);
      }
      ctx.strokeStyle = "#8a3ffc";
      ctx.setLineDash([4, 3]);
      for (const s of data.shots) if (s >= t0 && s <= t0 + span) {
        ctx.beginPath(); ctx.moveTo(x(s), 0); ctx.lineTo(x(s), h); ctx.stroke();
      }
      ctx.setLineDash([]);
    }
    ctx.font = "12px sans-serif";
    vk.cues.forEach((c, i) => {
      if (c.end_ms < t0 || c.start_ms > t0 + span) return;
      const a = x(c.start_ms), b = x(c.end_ms);
      const on = i === vk.selected;
      ctx.fillStyle = on ? "#0b4f9c" : "#d9e4f2";
      ctx.fillRect(a, wave + 2, b - a, 26);
      ctx.fillStyle = on ? "#ffffff" : "#1b1b1b";
      ctx.save();
      ctx.beginPath(); ctx.rect(a + 2, wave, Math.max(0, b - a - 4), 30); ctx.clip();
      ctx.fillText(`${i + 1} ${c.text.replace(/\n/g, " ")}`, a + 4, wave + 19);
      ctx.restore();
      ctx.fillStyle = "#1b1b1b";
      ctx.fillRect(a, wave + 2, 2, 26);
      ctx.fillRect(b - 2, wave + 2, 2, 26);
    });
    const p = x(video.currentTime * 1000);
    ctx.fillStyle = "#a51d1d";
    ctx.fillRect(p - 1, 0, 2, h);
  }

  // -- pointer: drag an edge, or click to select a cue / play from a point ----------------------
  let drag = null;
  function hit(px, py) {
    const wave = (canvas.clientHeight || 110) - 30;
    for (let i = 0; i < vk.cues.length; i++) {
      const c = vk.cues[i];
      if (c.end_ms < t0 || c.start_ms > t0 + span) continue;
      if (Math.abs(x(c.start_ms) - px) <= EDGE_PX) return { i, which: "start_ms" };
      if (Math.abs(x(c.end_ms) - px) <= EDGE_PX) return { i, which: "end_ms" };
      if (py >= wave && px > x(c.start_ms) && px < x(c.end_ms)) return { i, which: null };
    }
    return null;
  }
  canvas.addEventListener("pointerdown", (e) => {
    const r = canvas.getBoundingClientRect();
    const found = hit(e.clientX - r.left, e.clientY - r.top);
    if (found && found.which) {
      drag = { ...found, moved: false };
      canvas.setPointerCapture(e.pointerId);
      vk.select(found.i, false);
    } else if (found) {
      vk.goto(found.i, false);
      video.currentTime = vk.cues[found.i].start_ms / 1000;
    } else {
      video.currentTime = ms(e.clientX - r.left) / 1000;
      video.play().catch(() => {});
    }
    draw();
  });
  canvas.addEventListener("pointermove", (e) => {
    const r = canvas.getBoundingClientRect();
    if (!drag) {
      const found = hit(e.clientX - r.left, e.clientY - r.top);
      canvas.style.cursor = found && found.which ? "ew-resize" : "pointer";
      return;
    }
    const c = vk.cues[drag.i];
    let t = Math.max(0, ms(e.clientX - r.left));
    const edge = vk.speechEdge(t, drag.which === "start_ms" ? 0 : 1, SNAP_MS);
    if (edge !== null) t = edge;
    if (!drag.moved) { vk.snapshot(); drag.moved = true; }
    // An edge stops short of the cue's other edge and of its neighbours.
    const gap = vk.norms.min_gap_ms || 0;
    if (drag.which === "start_ms") {
      const prev = vk.cues[drag.i - 1];
      c.start_ms = Math.min(Math.max(t, prev ? prev.end_ms + gap : 0), c.end_ms - 100);
    } else {
      const next = vk.cues[drag.i + 1];
      c.end_ms = Math.max(Math.min(t, next ? next.start_ms - gap : vk.durationMs), c.start_ms + 100);
    }
    draw();
  });
  canvas.addEventListener("pointerup", () => {
    if (!drag) return;
    const { i, which, moved } = drag;
    drag = null;
    if (!moved) return;
    vk.endTyping();
    vk.changed(true);
    vk.say(`Tekst ${i + 1}: ${which === "start_ms" ? "start" : "slut"} er nu ${vk.clock(vk.cues[i][which])}.`, "vk-edit-msg");
  });
  canvas.addEventListener("wheel", (e) => {
    if (!e.ctrlKey && !e.altKey) return;
    e.preventDefault();
    zoom(e.deltaY < 0 ? 0.5 : 2);
  }, { passive: false });

  function zoom(factor) {
    const centre = video.currentTime * 1000;
    span *= factor;
    t0 = centre - span / 2;
    clampView();
    draw();
    vk.say(`Tidslinjen viser ${Math.round(span / 100) / 10} sekunder.`.replace(".", ","), "vk-edit-msg");
  }
  Object.assign(vk.actions, { "zoom-in": () => zoom(0.5), "zoom-out": () => zoom(2) });
  Object.assign(vk.keys, { Equal: () => zoom(0.5), NumpadAdd: () => zoom(0.5), Minus: () => zoom(2), NumpadSubtract: () => zoom(2) });

  // The view follows the playhead (and a selected cue) when they leave it.
  function follow(at) {
    if (at < t0 || at > t0 + span) { t0 = at - span * 0.1; clampView(); }
  }
  video.addEventListener("timeupdate", () => { follow(video.currentTime * 1000); draw(); });
  video.addEventListener("seeked", () => { follow(video.currentTime * 1000); draw(); });
  vk.on("select", (i) => { const c = vk.cues[i]; if (c) follow(c.start_ms); draw(); });
  vk.on("structure", draw);
  vk.on("text", () => requestAnimationFrame(draw));
  window.addEventListener("resize", draw);

  (async () => {
    clampView();
    draw();
    const { ok, data: got } = await vk.call("/timeline");
    if (!ok) { $("vk-timeline-info").textContent = got.error || "Lydkurven kunne ikke hentes."; return; }
    data = got;
    const info = `Lydkurve med tale (lyseblå), ${data.shots.length} klipskift (stiplet lilla) og teksterne nederst. ` +
      "Træk i en teksts kant for at flytte den; den går i hak ved talens start og slut. Klik for at spille derfra.";
    $("vk-timeline-info").textContent = info;
    canvas.dataset.ready = "true";
    draw();
  })();
});
