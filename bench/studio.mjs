// The studio driven as an editor drives it, for bench/studio.py (which makes the project and
// serves the studio). Prints one JSON line.
//
//   node bench/studio.mjs CONFIG.json      CONFIG: { mode: "actions" | "keys", url, slug,
//                                                   chromium, reference?: [cue, …] }
//
// "actions": the scripted correction, every click, key, drag and scroll counted as one action
// (typed text counts one key per character), then the result compared with the reference.
// "keys": 60 keys typed into a cue of a 900-cue video; each key's cost inside the page.

import { createRequire } from "node:module";
import { readFile } from "node:fs/promises";

const require = createRequire(new URL("../tests/browser/package.json", import.meta.url));
const { chromium } = require("playwright-core");
const { CHROMIUM_ARGS } = await import(new URL("../tests/browser/common.mjs", import.meta.url));

const config = JSON.parse(await readFile(process.argv[2], "utf-8"));
const base = new URL(config.url);
const token = base.searchParams.get("token");
const browser = await chromium.launch({ executablePath: config.chromium, headless: true, args: CHROMIUM_ARGS });
const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: "da-DK" });
await page.goto(new URL(`/video/${config.slug}?token=${token}`, base).href);
await page.waitForSelector("[data-vk-studio][data-ready=true]", { timeout: 30000 });

const counts = { clicks: 0, keys: 0, drags: 0, scrolls: 0 };
const settle = () => page.waitForTimeout(450); // the server's check answers (not an action)
// A target outside the window costs the editor a scroll first.
const inView = (selector) => page.$eval(selector, (el) => {
  const r = el.getBoundingClientRect();
  return r.top >= 0 && r.bottom <= window.innerHeight;
}).catch(() => false);
const click = async (selector, options) => {
  if (!(await inView(selector))) counts.scrolls++;
  counts.clicks++;
  await page.click(selector, options);
};
const press = async (key) => { counts.keys++; await page.keyboard.press(key); };
const type = async (text) => { counts.keys += [...text].length; await page.keyboard.type(text); };
const scroll = async (fn, arg) => { counts.scrolls++; await page.evaluate(fn, arg); };
// A click that puts the caret in cue `i` right after `needle` (or selects `word`, a double-click).
async function caret(i, needle, word = false) {
  counts.clicks++;
  await page.evaluate(([k, n, w]) => {
    window.vk.goto(k);
    const t = document.getElementById(`vk-text-${k}`);
    const at = t.value.indexOf(n);
    if (w) t.setSelectionRange(at, at + n.length); else t.setSelectionRange(at + n.length, at + n.length);
  }, [i, needle, word]);
}
async function fix(word, suggestion) {
  await page.waitForSelector(`#vk-spelling button[aria-label^="Ret ${word} til ${suggestion} "]`, { timeout: 10000 });
  await click(`#vk-spelling button[aria-label^="Ret ${word} til ${suggestion} "]`);
  await settle();
}
async function drag(i, which, toMs) {
  if (!(await inView("#vk-timeline"))) {
    await scroll(() => document.getElementById("vk-timeline").scrollIntoView({ block: "center" }));
  }
  const at = await page.evaluate(([k, w, t]) => {
    const c = document.getElementById("vk-timeline"), r = c.getBoundingClientRect();
    const x = (ms) => r.left + ((ms - Number(c.dataset.t0)) / Number(c.dataset.span)) * r.width;
    return { from: x(window.vk.cues[k][w]), to: x(t), y: r.bottom - 12 };
  }, [i, which, toMs]);
  counts.drags++;
  await page.mouse.move(at.from, at.y);
  await page.mouse.down();
  await page.mouse.move(at.to, at.y, { steps: 5 });
  await page.mouse.up();
}

let result;
if (config.mode === "actions") {
  await page.waitForSelector("#vk-timeline[data-ready=true]", { timeout: 60000 });
  await settle();
  // Misspellings: one click each on the suggestion in the list of misspelled words.
  await scroll(() => document.getElementById("vk-spelling").scrollIntoView());
  for (const [w, s] of [["Velkomen", "Velkommen"], ["aarets", "årets"], ["byråded", "byrådet"],
    ["drøfde", "drøfte"], ["skolrne", "skolerne"], ["forskiningen", "forskningen"],
    ["læsnig", "læsning"], ["ældreplegen", "ældreplejen"], ["bageftr", "bagefter"],
    ["borgrne", "borgerne"], ["spørgsmaal", "spørgsmål"], ["sprogne", "sprogene"],
    ["hensny", "hensyn"], ["fornøjlse", "fornøjelse"], ["hjemmesde", "hjemmeside"]]) {
    await fix(w, s);
  }
  // One mis-heard word, three times: find and replace, whole words.
  await press("Alt+f");
  await type("butikken");
  await click("#vk-replace-with");
  await type("budgettet");
  await click("#vk-find-panel button[type=submit]");
  await click("[data-panel=vk-find-panel]"); // close the panel
  // Words typed by hand.
  await caret(0, "budget"); await press("Delete"); // "budget møde" -> "budgetmøde"
  await caret(5, "Husk"); await type(",");
  await caret(7, "for", true); await type("fordi");
  await caret(7, " at", true); await press("Delete");
  await caret(7, "kom"); await type(",");
  await caret(8, "kommune"); await type("n");
  await caret(9, "under"); await press("Delete");
  await caret(9, "på"); await type(",");
  // The invented cue: select it, delete it.
  await caret(10, "Tak"); await press("Alt+Delete");
  // Three edges on the timeline: pick the cue (the timeline follows), drag its edge.
  for (const [i, which, ms] of [[0, "start_ms", 500], [4, "end_ms", 18600], [8, "start_ms", 30600]]) {
    const number = `#vk-cues li[data-index="${i}"] .vk-cue-time`;
    if (!(await page.$(number))) {
      await scroll((k) => { document.getElementById("vk-scroller").scrollTop = k * 92 - 92; }, i);
    }
    await click(number);
    await page.waitForTimeout(150);
    await drag(i, which, ms);
  }
  // One speaker over all ten cues: the first, Shift+the last, the name, set.
  await scroll(() => { document.getElementById("vk-scroller").scrollTop = 0; });
  await click("#vk-pick-0");
  await scroll(() => { const s = document.getElementById("vk-scroller"); s.scrollTop = s.scrollHeight; });
  await click("#vk-pick-9", { modifiers: ["Shift"] });
  await click("#vk-speaker");
  await type("Mette Hansen");
  await click("[data-action=speaker]");
  await press("Control+s");
  await page.waitForFunction(() => document.getElementById("vk-status").textContent.includes("Gemt"), null, { timeout: 15000 });
  const saved = await page.evaluate(async (t) => (await (await fetch(`/api/${window.vk.slug}`,
    { headers: { "X-Videokit-Token": t } })).json()).cues, token);
  const differences = [];
  config.reference.forEach((want, k) => {
    const got = saved[k] || {};
    const same = got.text === want.text && got.speaker === want.speaker &&
      Math.abs(got.start_ms - want.start_ms) <= 50 && Math.abs(got.end_ms - want.end_ms) <= 50;
    if (!same) differences.push({ cue: k + 1, want, got });
  });
  if (saved.length !== config.reference.length) differences.push({ cues: saved.length });
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  result = { counts, total, matches: differences.length === 0, differences };
} else {
  await page.evaluate(() => window.vk.goto(450));
  const lat = await page.evaluate(async () => {
    const area = document.getElementById("vk-text-450");
    const times = [];
    let t0 = 0;
    area.addEventListener("keydown", () => { t0 = performance.now(); }, true);
    // Registered after the page's own handlers: runs when they are done, then forces layout.
    document.addEventListener("input", () => {
      void document.body.offsetHeight;
      times.push(performance.now() - t0);
    });
    window.vkTimes = times;
    return true;
  });
  for (let k = 0; k < 60; k++) await page.keyboard.type(k % 10 === 9 ? " " : "a", { delay: 20 });
  const times = (await page.evaluate(() => window.vkTimes)).sort((a, b) => a - b);
  result = { keys: times.length, median_ms: times[Math.floor(times.length / 2)],
             p95_ms: times[Math.floor(times.length * 0.95)], ready: lat };
}
await browser.close();
console.log(JSON.stringify(result));
