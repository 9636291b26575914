// The review studio in headless Chromium, driven by tests/test_studio_browser.py.
//
//   node studio.mjs CONFIG.json
//
// CONFIG: {
//   "url": "http://127.0.0.1:PORT/?token=…",   the studio's address as `videokit studio` prints it
//   "slug": "moede",                            the video to edit
//   "hostile": "<img src=x onerror=alert(1)>",  caption text that must stay text
//   "chromium": "/usr/bin/chromium",
//   "screenshots": "/abs/dir", "out": "/abs/results.json",
//   "studio": ["python", "-c", "…", "studio", "--project", "…", "--port", "…"],  a second studio
//   "studioEnv": {…}, "studioUrl": "http://127.0.0.1:PORT/video/SLUG?token=…"    to stop and restart
// }
//
// Like check.mjs it records what it saw and leaves the judging to pytest; it exits non-zero only
// when it could not run at all.

import { spawn } from "node:child_process";
import { readFile, writeFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS, TIMEOUT_MS, runAxe, watch as watchFor } from "./common.mjs";

const config = JSON.parse(await readFile(process.argv[2], "utf-8"));
const base = new URL(config.url);
const token = base.searchParams.get("token");
const videoUrl = new URL(`/video/${config.slug}?token=${token}`, base).href;
const results = { axe: {}, dialogs: [], pageErrors: [], consoleErrors: [], badResponses: [],
                  steps: [] };
const step = (name, data = {}) => results.steps.push({ name, ...data });

const watch = (page, label) => watchFor(page, label, results);

async function axe(page, name) {
  results.axe[name] = await runAxe(page);
}

async function openEditor(context, label) {
  const page = await context.newPage();
  watch(page, label);
  await page.goto(videoUrl, { waitUntil: "load" });
  await page.waitForSelector("[data-vk-studio][data-ready=true]", { timeout: TIMEOUT_MS });
  await page.waitForFunction(() => document.getElementById("vk-video").readyState >= 1, null,
    { timeout: TIMEOUT_MS });
  return page;
}

const state = (page) => page.evaluate(() => ({
  texts: Array.from(document.querySelectorAll("#vk-cues textarea")).map((t) => t.value),
  speakers: Array.from(document.querySelectorAll("#vk-cues .vk-cue-speaker")).map((s) => s.textContent),
  times: Array.from(document.querySelectorAll("#vk-cues .vk-cue-time")).map((b) => b.textContent),
  problems: Array.from(document.querySelectorAll("#vk-cues .vk-problems")).map((p) => p.textContent),
  status: document.getElementById("vk-status").textContent,
  alert: document.getElementById("vk-alert").textContent,
  active: document.activeElement ? document.activeElement.id : null,
  marked: Array.from(document.querySelectorAll("#vk-cues mark:not(.vk-misspelled)")).map((m) => m.textContent),
  misspelled: Array.from(document.querySelectorAll("#vk-spelling mark")).map((m) => m.textContent),
  starts: Array.from(document.querySelectorAll("#vk-cues .vk-cue-times input:first-of-type")).map((i) => i.value),
  saved: document.getElementById("vk-saved-state").textContent,
  editMsg: document.getElementById("vk-edit-msg").textContent,
  summary: document.getElementById("vk-summary").textContent,
  player: Array.from(Array.from(document.getElementById("vk-video").textTracks)
    .find((t) => t.mode === "showing")?.cues ?? []).map((c) => c.text),
}));

async function seek(page, seconds) {
  await page.evaluate((s) => new Promise((resolve) => {
    const v = document.getElementById("vk-video");
    v.addEventListener("seeked", () => resolve(), { once: true });
    v.currentTime = s;
  }), seconds);
}

async function caretAt(page, id, needle) {
  // Put the text cursor before `needle`, as a click would; the arrow keys let the page see it.
  await page.focus(`#${id}`);
  await page.evaluate(([i, n]) => {
    const t = document.getElementById(i);
    const at = t.value.indexOf(n) + 1;
    t.setSelectionRange(at, at);
  }, [id, needle]);
  await page.keyboard.press("ArrowLeft");
}

const waitText = (page, id, text) => page.waitForFunction(([i, t]) =>
  document.getElementById(i).textContent.includes(t), [id, text], { timeout: TIMEOUT_MS });

const browser = await chromium.launch({
  executablePath: config.chromium, headless: true, args: CHROMIUM_ARGS, timeout: 30000,
});
try {
  await mkdir(config.screenshots, { recursive: true });
  // axe-core is injected as a script, which the studio's Content-Security-Policy forbids.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "da-DK",
                                             bypassCSP: true });

  // 1. The overview, then the editor, as an editor arrives.
  {
    const page = await context.newPage();
    watch(page, "overview");
    const response = await page.goto(config.url, { waitUntil: "load" });
    step("overview", { status: response.status(), rows: await page.locator("tbody tr").count() });
    await axe(page, "overview");
    await page.close();
  }
  const page = await openEditor(context, "editor");
  await axe(page, "editor");
  step("loaded", await state(page));

  // 2. The cue under the playhead is highlighted.
  const cue1 = await page.evaluate(() => document.querySelectorAll("#vk-cues .vk-cue-time")[1].textContent);
  await seek(page, 6.0);
  step("playing", { cue1, ...(await page.evaluate(() => ({
    playing: Array.from(document.querySelectorAll("#vk-cues li")).map((li) => li.classList.contains("vk-playing")),
    current: document.querySelector('[aria-current="true"]')?.textContent ?? null,
  }))) });

  // 3. Text, timing, split, merge and speaker, then save.
  await page.fill("#vk-text-0", "Byrådet mødes i aften om budgettet.");
  await seek(page, 1.2);
  await page.focus("#vk-text-0");
  await page.click("[data-action=start-here]");
  await page.click("[data-action=end-plus]");
  await caretAt(page, "vk-text-0", " om budgettet");
  await page.keyboard.press("Alt+d");
  step("split", await state(page));
  await page.focus("#vk-text-2");
  await page.click("[data-action=merge]");
  step("merged", await state(page));
  await page.focus("#vk-text-0");
  await page.fill("#vk-speaker", "Mette Hansen");
  await page.press("#vk-speaker", "Enter");
  await page.click("[data-panel=vk-find-panel]");
  await page.fill("#vk-find", "budgettet");
  await page.fill("#vk-replace-with", "budgetforslaget");
  await page.check("#vk-glossary");
  await page.click("#vk-find-panel button[type=submit]");
  await waitText(page, "vk-find-msg", "ordlisten");
  // The server's check answers after a short pause in typing; its verdict is what is recorded.
  await waitText(page, "vk-summary", "0 usikre ord").catch(() => {});
  step("replaced", { ...(await state(page)), status: await page.textContent("#vk-find-msg") });
  await page.waitForTimeout(500); // the norm check answers
  await axe(page, "editor-edited");
  await page.keyboard.press("Control+s");
  await waitText(page, "vk-status", "Gemt");
  step("saved", await state(page));
  await page.reload({ waitUntil: "load" });
  await page.waitForSelector("[data-vk-studio][data-ready=true]", { timeout: TIMEOUT_MS });
  step("reloaded", await state(page));
  await page.close();

  // 4. Two tabs on the same version: the second save is refused, nothing is lost.
  {
    const first = await openEditor(context, "tab B");
    const second = await openEditor(context, "tab C");
    await first.fill("#vk-text-0", "Fra fane B.");
    await first.keyboard.press("Control+s");
    await waitText(first, "vk-status", "Gemt");
    await second.fill("#vk-text-0", "Fra fane C.");
    await second.keyboard.press("Control+s");
    await waitText(second, "vk-alert", "Ikke gemt");
    const refused = await state(second);
    await second.reload({ waitUntil: "load" });
    await second.waitForSelector("[data-vk-studio][data-ready=true]", { timeout: TIMEOUT_MS });
    // Its refused text is still offered back after the reload; this editor drops it.
    await second.waitForSelector("#vk-restore:not([hidden])", { timeout: TIMEOUT_MS });
    const offered = await second.textContent("#vk-restore-text");
    await second.click("#vk-restore-drop");
    await waitText(second, "vk-status", "kasseret");
    step("conflict", { refused, offered, after: await state(second) });
    await first.close();
    await second.close();
  }

  // 5. The keyboard alone: Tab to the first text, edit, move, play, replay, split, undo, save.
  {
    const kb = await openEditor(context, "keyboard");
    const stops = [];
    for (let i = 0; i < 80; i++) {
      await kb.keyboard.press("Tab");
      const here = await kb.evaluate(() => ({ id: document.activeElement.id,
        tag: document.activeElement.localName,
        visible: document.activeElement.matches(":focus-visible") }));
      stops.push(here);
      if (here.id === "vk-text-0") break;
    }
    await kb.keyboard.press("End");
    await kb.keyboard.type(" Tak.");
    await kb.keyboard.press("Alt+ArrowDown");
    const down = await kb.evaluate(() => document.activeElement.id);
    await kb.keyboard.press("Alt+ArrowUp");
    const up = await kb.evaluate(() => document.activeElement.id);
    const playing = () => kb.waitForFunction(() => !document.getElementById("vk-video").paused,
      null, { timeout: TIMEOUT_MS }).then(() => true, () => false);
    await kb.keyboard.press("Alt+p");
    const played = await playing();
    await kb.keyboard.press("Alt+p");
    const paused = await kb.evaluate(() => document.getElementById("vk-video").paused);
    await kb.keyboard.press("Alt+r");
    await playing();
    const replay = await kb.evaluate(() => {
      const v = document.getElementById("vk-video");
      const r = { time: v.currentTime, playing: !v.paused };
      v.pause();
      return r;
    });
    const before = (await state(kb)).texts.length;
    await kb.keyboard.press("Alt+d");
    const split = (await state(kb)).texts.length;
    await kb.keyboard.press("Alt+z");
    const undone = await state(kb);
    // The keys for dragging an edge on the timeline: start +100 ms, end −100 ms, both undone.
    const edges = () => kb.evaluate(() => { const c = window.vk.cues[window.vk.selected]; return [c.start_ms, c.end_ms]; });
    const edgesBefore = await edges();
    await kb.keyboard.press("Alt+.");
    await kb.keyboard.press("Alt+Shift+,");
    const edgesMoved = await edges();
    await kb.keyboard.press("Alt+z");
    await kb.keyboard.press("Alt+z");
    const edgesUndone = await edges();
    await kb.keyboard.press("Control+s");
    await waitText(kb, "vk-status", "Gemt");
    step("keyboard", { stops, down, up, played, paused, replay, before, split,
                       undone, edgesBefore, edgesMoved, edgesUndone, saved: await state(kb) });
    await kb.close();
  }

  // 6. Re-flow: the corrected text laid out anew, shown before anything is saved, and undone.
  {
    const rf = await openEditor(context, "reflow");
    const before = await state(rf);
    await rf.click("[data-action=reflow]");
    await waitText(rf, "vk-edit-msg", "lagt ud i");
    const after = await state(rf);
    await rf.keyboard.press("Alt+z");
    step("reflow", { before, after, undone: await state(rf) });
    // Text that looks like markup stays text: in the list, in the player, after a reload.
    await rf.fill("#vk-text-1", config.hostile);
    await rf.keyboard.press("Control+s");
    await waitText(rf, "vk-status", "Gemt");
    await rf.reload({ waitUntil: "load" });
    await rf.waitForSelector("[data-vk-studio][data-ready=true]", { timeout: TIMEOUT_MS });
    await rf.waitForTimeout(300);
    step("hostile", { ...(await state(rf)), elements: await rf.evaluate(() =>
      document.querySelectorAll("#vk-cues img, #vk-cues script, #vk-cues b").length) });
    await rf.close();
  }

  // 6b. The timeline and the grid: drag an edge, type a time, insert, delete, a speaker over a
  //     range, a whole-word replace with preview, undo and redo, a misspelled word, then save.
  {
    const g = await openEditor(context, "grid");
    await g.waitForSelector("#vk-timeline[data-ready=true]", { timeout: 60000 });
    await axe(g, "editor-timeline");
    const edgeX = (ms) => g.evaluate((t) => {
      const c = document.getElementById("vk-timeline");
      const r = c.getBoundingClientRect();
      return { x: r.left + ((t - Number(c.dataset.t0)) / Number(c.dataset.span)) * r.width,
               y: r.bottom - 12 };
    }, ms);
    const last = await g.evaluate(() => ({ ...window.vk.cues[2] }));
    const from = await edgeX(last.end_ms);
    const to = await edgeX(last.end_ms + 500);
    await g.mouse.move(from.x, from.y);
    await g.mouse.down();
    await g.mouse.move((from.x + to.x) / 2, from.y, { steps: 3 });
    await g.mouse.move(to.x, to.y, { steps: 3 });
    await g.mouse.up();
    const dragged = { before: last.end_ms, after: await g.evaluate(() => window.vk.cues[2].end_ms),
                      shown: await g.inputValue("#vk-end-2"), msg: await g.textContent("#vk-edit-msg") };
    await g.fill("#vk-start-2", "00:00:06,000");
    await g.press("#vk-start-2", "Enter");
    const typedTime = await g.evaluate(() => window.vk.cues[2].start_ms);
    await seek(g, 4.5);
    await g.focus("#vk-text-0");
    await g.keyboard.press("Alt+i");
    const inserted = { active: await g.evaluate(() => document.activeElement.id), count: await g.evaluate(() => window.vk.cues.length) };
    await g.keyboard.type("Indsat tekst for forskning.");
    await g.focus("#vk-text-1");
    await g.click("[data-action=delete]");
    const afterDelete = await state(g);
    // Two cues as one turn: the second picked with Shift, then one name for both.
    await g.click("#vk-pick-1");
    await g.click("#vk-pick-2", { modifiers: ["Shift"] });
    await g.fill("#vk-speaker", "Anders And");
    await g.click("[data-action=speaker]");
    await g.focus("#vk-text-0");
    const speakerField = await g.inputValue("#vk-speaker");
    const speakers = await state(g);
    await g.click("[data-panel=vk-find-panel]");
    await g.fill("#vk-find", "for");
    await g.fill("#vk-replace-with", "hvor");
    await waitText(g, "vk-matches", "„hvor“");
    const preview = await g.evaluate(() => Array.from(document.querySelectorAll("#vk-matches li")).map((li) => li.textContent));
    await axe(g, "editor-find");
    await g.screenshot({ path: path.join(config.screenshots, "studio-find.png"), fullPage: false });
    await g.click("#vk-find-panel button[type=submit]");
    const replacedText = await g.inputValue("#vk-text-1");
    await g.keyboard.press("Alt+z");
    const undoneText = await g.evaluate(() => window.vk.cues[1].text);
    await g.keyboard.press("Alt+y");
    const redoneText = await g.evaluate(() => window.vk.cues[1].text);
    await g.click("[data-panel=vk-find-panel]");
    await g.fill("#vk-text-1", "Kvistgaard siger sprafene hvor forskning.");
    await g.waitForFunction(() => document.getElementById("vk-spelling").textContent.includes("sprafene"),
      null, { timeout: TIMEOUT_MS });
    const spelled = await state(g);
    const inline = await g.evaluate(() => Array.from(document.querySelectorAll("#vk-problems-1 .vk-misspelled")).map((m) => m.textContent));
    await axe(g, "editor-spelling");
    await g.fill("#vk-text-1", "Kvistgaard siger sproget hvor forskning.");
    await g.waitForFunction(() => !document.getElementById("vk-spelling").textContent.includes("sprafene"),
      null, { timeout: TIMEOUT_MS });
    await g.keyboard.press("Control+s");
    await waitText(g, "vk-status", "Gemt");
    await g.evaluate(() => {
      document.getElementById("vk-scroller").scrollTop = 0;
      document.querySelector(".vk-studio-player").scrollTop = 0;
      window.scrollTo(0, 0);
    });
    await g.screenshot({ path: path.join(config.screenshots, "studio-timeline.png"), fullPage: false });
    step("grid", { dragged, typedTime, inserted, afterDelete, speakerField, speakers, preview,
                   replacedText, undoneText, redoneText, spelled, inline, saved: await state(g),
                   savedCues: await g.evaluate(async (t) => {
                     const r = await fetch(`/api/${window.vk.slug}`, { headers: { "X-Videokit-Token": t } });
                     return (await r.json()).cues;
                   }, token) });
    await g.close();
  }

  // 6c. Reloading mid-edit: the change was kept on the server, and is offered back.
  {
    const u = await openEditor(context, "unsaved");
    await u.fill("#vk-text-0", "Fra fane B. Tak. Ikke gemt endnu.");
    const typed = Date.now();
    await waitText(u, "vk-saved-state", "holdt for dig");
    const keptMs = Date.now() - typed;
    await u.reload({ waitUntil: "load" });
    await u.waitForSelector("#vk-restore:not([hidden])", { timeout: TIMEOUT_MS });
    const offered = await u.textContent("#vk-restore-text");
    const waiting = await u.textContent("#vk-saved-state");
    await axe(u, "editor-restore");
    await u.screenshot({ path: path.join(config.screenshots, "studio-restore.png"), fullPage: false });
    const beforeKeep = (await state(u)).texts[0];
    await u.click("#vk-restore-keep");
    const kept = await state(u);
    await u.keyboard.press("Control+s");
    await waitText(u, "vk-status", "Gemt");
    step("unsaved", { keptMs, offered, waiting, beforeKeep, kept, saved: await state(u) });
    await u.close();
  }

  // 6d. The studio stops and starts again: the old tab's save waits in a queue, says so, and
  //     goes through with the same key once the studio is back.
  if (config.studio) {
    const start = () => {
      const child = spawn(config.studio[0], config.studio.slice(1), { env: config.studioEnv, stdio: "ignore" });
      return child;
    };
    const up = async () => {
      for (let i = 0; i < 200; i++) {
        try { const r = await fetch(config.studioUrl); if (r.ok) return true; } catch (e) { /* not yet */ }
        await new Promise((r) => setTimeout(r, 100));
      }
      return false;
    };
    const stop = (child) => new Promise((resolve) => { child.once("exit", resolve); child.kill("SIGINT"); });
    let child = start();
    await up();
    const r = await context.newPage();
    watch(r, "restart");
    await r.goto(config.studioUrl, { waitUntil: "load" });
    await r.waitForSelector("[data-vk-studio][data-ready=true]", { timeout: TIMEOUT_MS });
    await r.fill("#vk-text-0", "Fra fane B. Tak. Efter genstart.");
    await waitText(r, "vk-saved-state", "holdt for dig");
    await stop(child);
    await r.keyboard.press("Control+s");
    await waitText(r, "vk-saved-state", "i kø");
    const queued = await state(r);
    await axe(r, "editor-queued");
    child = start();
    await up();
    await waitText(r, "vk-status", "Gemt");
    step("restart", { queued, saved: await state(r) });
    await r.close();
    await stop(child);
  }

  // 7. Approve with a name and a note.
  {
    const ap = await openEditor(context, "approve");
    await ap.click("[data-panel=vk-approve-panel]");
    await ap.fill("#vk-editor", "Mette Hansen");
    await ap.fill("#vk-note", "Rettet i studiet");
    // Every message the approval shows, in order, as the editor would see them come.
    await ap.evaluate(() => {
      window.vkSeen = [];
      const msg = document.getElementById("vk-approve-msg");
      new MutationObserver(() => {
        const b = document.getElementById("vk-approve-button");
        window.vkSeen.push({ text: msg.textContent, disabled: b.disabled,
          progress: !document.getElementById("vk-approve-progress").hidden });
      }).observe(msg, { childList: true, characterData: true, subtree: true });
    });
    const clicked = Date.now();
    await ap.click("#vk-approve-panel button[type=submit]");
    await ap.waitForFunction(() => window.vkSeen.length > 0, null, { timeout: TIMEOUT_MS });
    const firstMessageMs = Date.now() - clicked;
    // The page is not blocked while the job runs: a keystroke lands at once.
    const typed = Date.now();
    await ap.focus("#vk-note");
    await ap.keyboard.type("!");
    const typingMs = Date.now() - typed;
    const whileRunning = await ap.evaluate(() => document.getElementById("vk-approve-button").disabled);
    await axe(ap, "editor-approving");
    // A second approval of the same version from another tab is told it is already running.
    const other = await ap.evaluate(async (t) => {
      const r = await fetch(`/api/${document.querySelector("[data-vk-studio]").dataset.slug}/approve`, {
        method: "POST", headers: { "X-Videokit-Token": t, "Content-Type": "application/json" },
        body: JSON.stringify({ editor: "Mette Hansen" }) });
      return r.json();
    }, token);
    await ap.waitForFunction(() => ["done", "failed"].includes(document.querySelector("[data-vk-studio]").dataset.approved),
      null, { timeout: 120000 });
    step("approved", { ...(await state(ap)), seen: await ap.evaluate(() => window.vkSeen), firstMessageMs,
      typingMs, whileRunning, secondStarted: other.started, after: await ap.evaluate(() =>
        document.getElementById("vk-approve-button").disabled),
      message: await ap.textContent("#vk-approve-msg") });
    await axe(ap, "editor-approved");
    await seek(ap, 6.0);
    await ap.evaluate(() => window.scrollTo(0, 0));
    await ap.waitForTimeout(200);
    await ap.screenshot({ path: path.join(config.screenshots, "studio-video.png"), fullPage: false });
    await ap.close();
  }
  {
    const ov = await context.newPage();
    watch(ov, "overview after approval");
    await ov.goto(config.url, { waitUntil: "load" });
    step("overview-after", { text: await ov.locator("tbody").textContent() });
    await axe(ov, "overview-approved");
    await ov.screenshot({ path: path.join(config.screenshots, "studio-overview.png"), fullPage: true });
    await ov.close();
  }
  await context.close();

  // 8. At 320 px (WCAG 1.4.10) nothing makes the page scroll sideways.
  const narrow = await browser.newContext({ viewport: { width: 320, height: 640 }, locale: "da-DK" });
  for (const [name, url] of [["overview", config.url], ["editor", videoUrl]]) {
    const small = await narrow.newPage();
    watch(small, `${name} at 320 px`);
    await small.goto(url, { waitUntil: "load" });
    if (name === "editor") {
      await small.waitForSelector("[data-vk-studio][data-ready=true]", { timeout: TIMEOUT_MS });
    }
    step(`narrow-${name}`, await small.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      clientWidth: document.documentElement.clientWidth,
    })));
    await small.screenshot({ path: path.join(config.screenshots, `studio-${name}-320.png`), fullPage: true });
    await small.close();
  }
  await narrow.close();
} finally {
  await browser.close();
}
await writeFile(config.out, JSON.stringify(results, null, 1));
