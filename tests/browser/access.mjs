// Browser checks on the player's own controls and the accessibility record, driven by
// tests/test_access_browser.py.
//
//   node access.mjs CONFIG.json
//
// CONFIG: {
//   "base": "http://127.0.0.1:PORT/", "chromium": "/usr/bin/chromium",
//   "pages": ["site/index.html", ...],      axe-core on each, as loaded
//   "video": "site/slug/index.html",       the page whose player is walked with the keyboard
//   "states": "/abs/dir",                  the player page's DOM in each state, for vnu
//   "out": "/abs/results.json"
// }
//
// It reports what it saw; pytest judges. Keyboard only: after the page loads, focus moves by Tab
// and Shift+Tab and buttons are pressed with Enter and Space; the script reads state, never clicks.

import { readFile, writeFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { chromium } from "playwright-core";
import { AXE_VERSION, CHROMIUM_ARGS, TIMEOUT_MS, runAxe, watch as watchFor } from "./common.mjs";

const config = JSON.parse(await readFile(process.argv[2], "utf-8"));
const results = {
  axeVersion: AXE_VERSION, axe: {}, states: {}, walk: null, noScript: null, dialogs: [],
  consoleErrors: [], pageErrors: [], failedRequests: [], badResponses: [],
};
const watch = (page, label) => watchFor(page, label, results);

async function state(page, name) {
  // axe on the live page in this state, and its DOM for vnu.
  results.axe[`${config.video}#${name}`] = await runAxe(page);
  // axe's own script element goes (it has run): it is the checker's, not the page's.
  const html = await page.evaluate(() => {
    for (const s of document.querySelectorAll("script")) {
      if (s.textContent.includes("axe.version")) s.remove();
    }
    return "<!DOCTYPE html>\n" + document.documentElement.outerHTML;
  });
  await writeFile(path.join(config.states, `${name}.html`), html);
  results.states[name] = await page.evaluate(() => {
    const v = document.querySelector("video");
    const kinds = Array.from(v.textTracks).map((t) => ({ kind: t.kind, mode: t.mode }));
    const live = document.querySelector("[data-vk-description-live]");
    const pressed = (sel) => document.querySelector(sel)?.getAttribute("aria-pressed") ?? null;
    return {
      tracks: kinds, captions: pressed("[data-vk-captions]"),
      descriptions: pressed("[data-vk-descriptions]"),
      size: document.querySelector("[data-vk-size]")?.dataset.size ?? null,
      wrapClass: document.querySelector("[data-vk-player-wrap]").className,
      liveHidden: live ? live.hidden : null, liveText: live ? live.textContent : null,
      barHidden: document.querySelector("[data-vk-controls]").hidden,
    };
  });
}

async function focused(page) {
  return page.evaluate(() => {
    const a = document.activeElement;
    return { tag: a?.localName ?? null, text: (a?.textContent || "").trim(),
             data: a ? Object.keys(a.dataset) : [], outline: a ? getComputedStyle(a).outlineStyle : null };
  });
}

async function tabTo(page, dataKey, back = false) {
  const stops = [];
  for (let i = 0; i < 30; i++) {
    await page.keyboard.press(back ? "Shift+Tab" : "Tab");
    const here = await focused(page);
    stops.push(here);
    if (here.data.includes(dataKey)) return stops;
  }
  throw new Error(`Tab never reached [data-${dataKey}]: ${JSON.stringify(stops)}`);
}

async function walk(page) {
  const out = { steps: [] };
  await page.waitForFunction(() => document.querySelector("video").readyState >= 1, null,
    { timeout: TIMEOUT_MS });
  await state(page, "loaded");
  out.steps.push({ to: "captions", stops: await tabTo(page, "vkCaptions") });
  await page.keyboard.press("Enter");
  await state(page, "captions-off");
  out.steps.push({ to: "descriptions", stops: await tabTo(page, "vkDescriptions") });
  await page.keyboard.press("Space");
  await state(page, "descriptions-on");
  out.steps.push({ to: "size", stops: await tabTo(page, "vkSize") });
  await page.keyboard.press("Enter");
  await state(page, "size-large");
  await page.keyboard.press("Enter");
  await state(page, "size-larger");
  out.steps.push({ to: "play", stops: await tabTo(page, "vkPlay", true) });
  // When the description reaches the live region, and where the player is then.
  out.cue = await page.evaluate(() => {
    const v = document.querySelector("video");
    const t = Array.from(v.textTracks).find((x) => x.kind === "descriptions");
    const c = t && t.cues && t.cues[0];
    return c ? { start: c.startTime, end: c.endTime, text: c.text } : null;
  });
  await page.evaluate(() => {
    const v = document.querySelector("video");
    v.playbackRate = 2; // the walk waits for the first description; twice as fast, same timeline
    window.__vkAnnounced = [];
    const live = document.querySelector("[data-vk-description-live]");
    new MutationObserver(() => window.__vkAnnounced.push(
      { text: live.textContent, at: v.currentTime })).observe(live,
      { childList: true, characterData: true, subtree: true });
  });
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => window.__vkAnnounced.some((a) => a.text), null,
    { timeout: 30000 }).catch(() => {});
  out.announced = await page.evaluate(() => window.__vkAnnounced);
  out.playing = await page.evaluate(() => !document.querySelector("video").paused);
  await page.keyboard.press("Enter"); // the same button pauses
  out.pausedAfter = await page.evaluate(() => document.querySelector("video").paused);
  await state(page, "described");
  return out;
}

const browser = await chromium.launch({
  executablePath: config.chromium, headless: true, args: CHROMIUM_ARGS, timeout: 30000,
});
try {
  await mkdir(config.states, { recursive: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "da-DK" });
  for (const rel of config.pages) {
    const page = await context.newPage();
    watch(page, rel);
    const response = await page.goto(new URL(rel, config.base).href, { waitUntil: "load" });
    results.axe[rel] = { status: response ? response.status() : null, ...(await runAxe(page)) };
    await page.close();
  }
  {
    const page = await context.newPage();
    watch(page, `${config.video} (walk)`);
    await page.goto(new URL(config.video, config.base).href, { waitUntil: "load" });
    try { results.walk = await walk(page); } catch (e) { results.walk = { error: String(e) }; }
    await page.close();
  }
  await context.close();
  {
    // Without JavaScript: the browser's own player, both tracks, no dead buttons.
    const plain = await browser.newContext({ javaScriptEnabled: false });
    const page = await plain.newPage();
    await page.goto(new URL(config.video, config.base).href, { waitUntil: "load" });
    results.noScript = await page.evaluate(() => {
      const v = document.querySelector("video");
      return { controls: v.hasAttribute("controls"),
               tracks: Array.from(v.querySelectorAll("track")).map((t) => t.getAttribute("kind")),
               barHidden: document.querySelector("[data-vk-controls]").hidden,
               described: Array.from(document.querySelectorAll(".vk-described")).map((p) => p.textContent.trim()) };
    });
    await plain.close();
  }
} finally {
  await browser.close();
}
await writeFile(config.out, JSON.stringify(results, null, 1));
