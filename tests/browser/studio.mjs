// The review studio in headless Chromium, driven by tests/test_studio_browser.py.
//
//   node studio.mjs CONFIG.json
//
// CONFIG: {
//   "url": "http://127.0.0.1:PORT/?token=…",   the studio's address as `videokit studio` prints it
//   "slug": "moede",                            the video to edit
//   "hostile": "<img src=x onerror=alert(1)>",  caption text that must stay text
//   "chromium": "/usr/bin/chromium",
//   "screenshots": "/abs/dir", "out": "/abs/results.json"
// }
//
// Like check.mjs it records what it saw and leaves the judging to pytest; it exits non-zero only
// when it could not run at all.

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
  marked: Array.from(document.querySelectorAll("#vk-cues mark")).map((m) => m.textContent),
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
  await page.fill("#vk-find", "budgettet");
  await page.fill("#vk-replace-with", "budgetforslaget");
  await page.check("#vk-glossary");
  await page.click("#vk-replace button[type=submit]");
  await waitText(page, "vk-status", "ordlisten");
  // The server's check answers after a short pause in typing; its verdict is what is recorded.
  await waitText(page, "vk-summary", "0 usikre ord").catch(() => {});
  step("replaced", await state(page));
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
    step("conflict", { refused, after: await state(second) });
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
    await kb.keyboard.press("Control+s");
    await waitText(kb, "vk-status", "Gemt");
    step("keyboard", { stops, down, up, played, paused, replay, before, split,
                       undone, saved: await state(kb) });
    await kb.close();
  }

  // 6. Re-flow: the corrected text laid out anew, shown before anything is saved, and undone.
  {
    const rf = await openEditor(context, "reflow");
    const before = await state(rf);
    await rf.click("[data-action=reflow]");
    await waitText(rf, "vk-status", "lagt ud i");
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

  // 7. Approve with a name and a note.
  {
    const ap = await openEditor(context, "approve");
    await ap.fill("#vk-editor", "Mette Hansen");
    await ap.fill("#vk-note", "Rettet i studiet");
    await ap.click("#vk-approve button[type=submit]");
    await ap.waitForFunction(() => {
      const s = document.getElementById("vk-status").textContent;
      const a = document.getElementById("vk-alert").textContent;
      return s.includes("Godkendt") || a.length > 0;
    }, null, { timeout: 60000 });
    step("approved", await state(ap));
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
