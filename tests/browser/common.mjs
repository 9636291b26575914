// What both browser scripts (check.mjs for the published pages, studio.mjs for the review studio)
// share: how Chromium is started offline, how axe-core is run, and how a page is watched.

import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
export const AXE_PATH = require.resolve("axe-core/axe.min.js");
export const AXE_VERSION = require("axe-core/package.json").version;
export const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"];

// Offline-clean headless Chromium: without the background-networking flags it keeps trying to reach
// Google's hosts, which this network refuses. Playwright adds --headless and a fresh profile dir.
export const CHROMIUM_ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--mute-audio", "--autoplay-policy=no-user-gesture-required",
];
export const TIMEOUT_MS = 15000;

// Record what a page does that it should not: dialogs (videokit's pages never open one, so one
// means injected script ran), script errors, console errors and HTTP errors. A page that asks
// before leaving with unsaved edits ("beforeunload") is answered, not recorded.
export function watch(page, label, results) {
  page.on("dialog", async (dialog) => {
    if (dialog.type() === "beforeunload") { await dialog.accept(); return; }
    results.dialogs.push({ page: label, type: dialog.type(), message: dialog.message() });
    await dialog.dismiss().catch(() => {});
  });
  page.on("pageerror", (err) => results.pageErrors.push({ page: label, message: String(err) }));
  page.on("console", (msg) => {
    // HTTP errors are recorded with their URL under badResponses instead.
    if (msg.type() === "error" && !msg.text().startsWith("Failed to load resource")) {
      results.consoleErrors.push({ page: label, message: msg.text() });
    }
  });
  page.on("response", (res) => {
    if (res.status() >= 400) {
      results.badResponses.push({ page: label, url: res.url(), status: res.status() });
    }
  });
  page.on("requestfailed", (req) => {
    (results.failedRequests ??= []).push(
      { page: label, url: req.url(), error: req.failure()?.errorText });
  });
}

// axe-core on the whole document: violations and what it could not decide, with their nodes.
export async function runAxe(page) {
  await page.addScriptTag({ path: AXE_PATH });
  return page.evaluate(async (tags) => {
    const r = await window.axe.run(document, {
      runOnly: { type: "tag", values: tags },
      resultTypes: ["violations", "incomplete"],
    });
    const brief = (list) => list.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target, html: n.html, summary: n.failureSummary })),
    }));
    return { violations: brief(r.violations), incomplete: brief(r.incomplete),
             passes: r.passes.length };
  }, AXE_TAGS);
}
