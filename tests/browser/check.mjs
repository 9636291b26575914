// Real-browser checks on videokit's generated pages, driven by tests/test_browser.py.
//
//   node check.mjs CONFIG.json
//
// CONFIG: {
//   "base": "http://127.0.0.1:PORT/",            where the site is served (file:// blocks tracks)
//   "pages": ["index.html", "slug/index.html"],  pages to run axe-core on (relative to base)
//   "video": {"page": "slug/index.html", "passage": 2},  for the track, keyboard and text checks
//   "hostile": "<script>alert(1)</script>",      text the transcript holds, which must stay text
//   "screenshots": "/abs/dir",                   where PNGs go
//   "shots": [{"name": "video-phone", "page": "slug/index.html", "width": 375, "height": 812}],
//   "out": "/abs/results.json",                  results, read by the Python test
//   "chromium": "/usr/bin/chromium"
// }
//
// The script reports what it saw and leaves the judging to pytest, so a failure shows up as an
// assertion with context, not as a crashed script. It exits non-zero only when it could not run.

import { readFile, writeFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { chromium } from "playwright-core";
import { AXE_VERSION, CHROMIUM_ARGS, TIMEOUT_MS, runAxe, watch as watchFor } from "./common.mjs";

const t0 = Date.now();
const timings = {};
const lap = (name) => { timings[name] = Date.now() - t0; };
const config = JSON.parse(await readFile(process.argv[2], "utf-8"));
const results = {
  axeVersion: AXE_VERSION, browserVersion: null, axe: {}, dialogs: [], consoleErrors: [],
  pageErrors: [], failedRequests: [], badResponses: [], track: null, keyboard: null,
  hostile: null, screenshots: [],
};

const watch = (page, label) => watchFor(page, label, results);

async function waitForMetadata(page) {
  // The player must really have the media (not only a remembered start position) before seeking.
  await page.waitForFunction(() => {
    const v = document.querySelector("video");
    return v && (v.readyState >= 1 || v.error);
  }, null, { timeout: TIMEOUT_MS });
  return page.evaluate(() => {
    const v = document.querySelector("video");
    return { readyState: v.readyState, duration: v.duration, error: v.error ? v.error.code : null,
             canPlayH264: v.canPlayType('video/mp4; codecs="avc1.42E01E, mp4a.40.2"') };
  });
}

async function trackCheck(page) {
  return page.evaluate(async (timeout) => {
    const video = document.querySelector("video");
    const trackEl = video.querySelector("track");
    const track = video.textTracks[0];
    if (!track || !trackEl) return { error: "no text track on the video" };
    track.mode = "hidden";
    const loaded = await new Promise((resolve) => {
      if (trackEl.readyState === 2) return resolve("loaded");
      if (trackEl.readyState === 3) return resolve("error");
      trackEl.addEventListener("load", () => resolve("loaded"), { once: true });
      trackEl.addEventListener("error", () => resolve("error"), { once: true });
      setTimeout(() => resolve("timeout"), timeout);
    });
    const cues = track.cues ? Array.from(track.cues) : [];
    return {
      state: loaded, readyState: trackEl.readyState, kind: track.kind, language: track.language,
      label: track.label, isDefault: trackEl.default, src: trackEl.src,
      cueCount: cues.length,
      cues: cues.map((c) => {
        const html = c.getCueAsHTML();
        return { start: c.startTime, end: c.endTime, raw: c.text, text: html.textContent,
                 elements: Array.from(html.querySelectorAll("*")).map((e) => e.localName) };
      }),
    };
  }, TIMEOUT_MS);
}

async function keyboardWalk(page, passage) {
  // Fresh page, focus at the top, as a keyboard user arrives.
  const target = await page.evaluate((n) => {
    const p = document.querySelector(`#afsnit-${n}`);
    return p ? { start: Number(p.dataset.start) / 1000, id: p.id } : null;
  }, passage);
  if (!target) return { error: `no passage #afsnit-${passage}` };
  await page.evaluate(() => {
    window.__vkSeeks = [];
    const v = document.querySelector("video");
    v.addEventListener("seeked", () => window.__vkSeeks.push(v.currentTime));
  });
  const stops = [];
  let reached = false;
  for (let i = 0; i < 40 && !reached; i++) {
    await page.keyboard.press("Tab");
    const here = await page.evaluate((id) => {
      const a = document.activeElement;
      const inPassage = !!(a && a.closest && a.closest(`#${id}`) && a.matches(".vk-time"));
      return { tag: a ? a.localName : null, cls: a ? a.className : null,
               text: a ? (a.textContent || "").trim().slice(0, 40) : null, inPassage,
               focusVisible: a ? a.matches(":focus-visible") : false,
               outline: a ? getComputedStyle(a).outlineStyle : null };
    }, target.id);
    stops.push(here);
    reached = here.inPassage;
  }
  if (!reached) return { error: "Tab never reached the passage's time control", stops, target };
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => window.__vkSeeks.length > 0, null, { timeout: TIMEOUT_MS })
    .catch(() => {});
  await page.evaluate(() => document.querySelector("video").pause());
  // What a keyboard user sees: the focus ring on the time control, the passage highlighted.
  await page.screenshot({ path: path.join(config.screenshots, "video-keyboard.png") });
  const after = await page.evaluate(() => {
    const v = document.querySelector("video");
    return { seeks: window.__vkSeeks, currentTime: v.currentTime, readyState: v.readyState,
             current: document.querySelector("[aria-current]")?.id ?? null,
             focusedTag: document.activeElement?.localName };
  });
  return { target, stops, tabs: stops.length, ...after };
}

async function hostileCheck(page, hostile) {
  return page.evaluate((needle) => {
    const ld = document.querySelector('script[type="application/ld+json"]');
    let parsed = null;
    let parseError = null;
    try { parsed = JSON.parse(ld.textContent); } catch (e) { parseError = String(e); }
    const transcript = document.querySelector("[data-vk-transcript]");
    return {
      scripts: Array.from(document.scripts).map((s) => s.type || "classic"),
      titleText: document.title,
      h1: document.querySelector("h1")?.textContent ?? null,
      metaDescription: document.querySelector('meta[name="description"]')?.content ?? null,
      transcriptText: transcript ? transcript.textContent : null,
      transcriptHasElementsFromText: transcript
        ? Array.from(transcript.querySelectorAll("script, b, i, img, iframe")).length : null,
      bodyHasNeedle: document.body.textContent.includes(needle),
      jsonld: parsed, jsonldError: parseError,
    };
  }, hostile);
}

async function shoot(browser, url, name, viewport) {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1, locale: "da-DK" });
  const page = await context.newPage();
  watch(page, `${name} (screenshot)`);
  await page.goto(url, { waitUntil: "load" });
  // Poster and fonts settle before the picture is taken.
  await page.waitForFunction(() => Array.from(document.images).every((i) => i.complete), null,
    { timeout: TIMEOUT_MS }).catch(() => {});
  // A player still fetching shows a spinner; take the picture once it has its first frame.
  await page.waitForFunction(() => Array.from(document.querySelectorAll("video"))
    .every((v) => v.readyState >= 2 || v.error), null, { timeout: TIMEOUT_MS }).catch(() => {});
  await page.waitForTimeout(100);
  const file = path.join(config.screenshots, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  const layout = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
    // Elements that stick out past the right edge make a phone scroll sideways (WCAG 1.4.10).
    overflowing: Array.from(document.querySelectorAll("body *"))
      .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
      .map((e) => e.localName + (e.className ? "." + e.className : "")).slice(0, 10),
  }));
  results.screenshots.push({ name, file, viewport, ...layout });
  await context.close();
}

const browser = await chromium.launch({
  executablePath: config.chromium, headless: true, args: CHROMIUM_ARGS, timeout: 30000,
});
try {
  lap("launch");
  results.browserVersion = browser.version();
  await mkdir(config.screenshots, { recursive: true });
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 }, locale: "da-DK",
  });

  // Pages are independent, so axe runs on them side by side.
  await Promise.all(config.pages.map(async (rel) => {
    const page = await context.newPage();
    watch(page, rel);
    const response = await page.goto(new URL(rel, config.base).href, { waitUntil: "load" });
    const status = response ? response.status() : null;
    results.axe[rel] = { status, ...(await runAxe(page)) };
    await page.close();
  }));
  lap("axe");

  const videoUrl = new URL(config.video.page, config.base).href;
  {
    const page = await context.newPage();
    watch(page, `${config.video.page} (track)`);
    await page.goto(videoUrl, { waitUntil: "load" });
    const media = await waitForMetadata(page);
    results.track = { media, ...(await trackCheck(page)) };
    results.hostile = await hostileCheck(page, config.hostile);
    await page.close();
    lap("track");
  }
  {
    const page = await context.newPage();
    watch(page, `${config.video.page} (keyboard)`);
    await page.goto(videoUrl, { waitUntil: "load" });
    await waitForMetadata(page);
    results.keyboard = await keyboardWalk(page, config.video.passage);
    await page.close();
    lap("keyboard");
  }
  await context.close();

  await Promise.all(config.shots.map((shot) => shoot(
    browser, new URL(shot.page, config.base).href, shot.name,
    { width: shot.width, height: shot.height })));
  lap("screenshots");
} finally {
  await browser.close();
}
results.timings = timings;
await writeFile(config.out, JSON.stringify(results, null, 1));
