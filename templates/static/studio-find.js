// The studio's text tools: find and replace (whole words, case, regular expressions, a preview of
// every match, one or all, undone like any edit) and the list of misspelled words.
"use strict";
(window.vkParts ||= []).push((vk) => {
  const { $ } = vk;
  const msg = (m) => vk.say(m, "vk-find-msg");
  const bad = (m) => vk.warn(m, "vk-find-msg");
  const MAX_SHOWN = 200;

  // A word is letters and digits: "for" is not found inside "forskning" or "hvor-for".
  const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  function pattern() {
    const find = $("vk-find").value;
    if (!find) return null;
    let source = $("vk-regex").checked ? find : escape(find);
    if ($("vk-whole").checked) source = `(?<![\\p{L}\\p{N}_])(?:${source})(?![\\p{L}\\p{N}_])`;
    try {
      return new RegExp(source, `gu${$("vk-case").checked ? "" : "i"}`);
    } catch (e) {
      bad(`Det regulære udtryk kan ikke bruges: ${e.message.replace(/^Invalid regular expression: /, "")}`);
      return undefined;
    }
  }
  function matches(re) {
    const out = [];
    vk.cues.forEach((cue, i) => {
      for (const m of cue.text.matchAll(re)) {
        if (m[0] === "") continue; // an empty match replaces nothing
        out.push({ cue: i, at: m.index, text: m[0] });
      }
    });
    return out;
  }
  const replacementFor = (re, text) => text.replace(new RegExp(re.source, re.flags.replace("g", "")),
    $("vk-regex").checked ? $("vk-replace-with").value : $("vk-replace-with").value.replace(/\$/g, "$$$$"));

  // The list of matches; `quiet` leaves the message alone (the list is refreshed after an edit).
  function preview(quiet = false) {
    const list = $("vk-matches");
    const re = pattern();
    if (!re) { list.replaceChildren(); if (!quiet && re === null) msg(""); return []; }
    const found = matches(re);
    list.replaceChildren(...found.slice(0, MAX_SHOWN).map((m, k) => {
      const li = document.createElement("li");
      const text = vk.cues[m.cue].text;
      const go = document.createElement("button");
      go.type = "button";
      go.className = "vk-link";
      go.textContent = `Tekst ${m.cue + 1}`;
      go.addEventListener("click", () => vk.goto(m.cue));
      const mark = document.createElement("mark");
      mark.textContent = m.text;
      const after = replacementFor(re, m.text);
      const one = document.createElement("button");
      one.type = "button";
      one.textContent = "Erstat";
      one.setAttribute("aria-label", `Erstat forekomst ${k + 1} i tekst ${m.cue + 1}`);
      one.addEventListener("click", () => replace([m], re));
      li.append(go, ": …", text.slice(Math.max(0, m.at - 25), m.at), mark,
        text.slice(m.at + m.text.length, m.at + m.text.length + 25), `… → „${after}“ `, one);
      return li;
    }));
    if (!quiet) msg(found.length ? `${found.length} forekomster${found.length > MAX_SHOWN ? ` (de første ${MAX_SHOWN} vises)` : ""}.`
      : `„${$("vk-find").value}“ findes ikke i teksterne.`);
    return found;
  }
  let timer = null;
  for (const id of ["vk-find", "vk-replace-with", "vk-whole", "vk-case", "vk-regex"]) {
    $(id).addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => preview(), 150); });
  }

  function replace(which, re) {
    clearTimeout(timer); // a preview still due from typing would say the replaced text is gone
    if (!which.length) return 0;
    vk.edit(() => {
      // From the end of each text, so earlier positions stay where they were.
      [...which].sort((a, b) => b.cue - a.cue || b.at - a.at).forEach((m) => {
        const t = vk.cues[m.cue].text;
        if (t.slice(m.at, m.at + m.text.length) !== m.text) return;
        vk.cues[m.cue].text = t.slice(0, m.at) + replacementFor(re, m.text) + t.slice(m.at + m.text.length);
      });
    });
    preview(true);
    return which.length;
  }
  async function glossary() {
    const term = $("vk-replace-with").value.trim();
    if (!$("vk-glossary").checked || !term) return "";
    const { ok, data } = await vk.call("/glossary", { term });
    if (!ok) { bad(`Ikke tilføjet til ordlisten: ${data.error}`); return null; }
    return ` ${data.message}`;
  }
  async function replaceAll(event) {
    event.preventDefault();
    const re = pattern();
    if (!re) return;
    const found = matches(re);
    if (!found.length) { msg(`„${$("vk-find").value}“ findes ikke i teksterne.`); return; }
    const cues = new Set(found.map((m) => m.cue)).size;
    replace(found, re);
    const extra = await glossary();
    if (extra === null) return;
    msg(`${found.length} forekomster af „${$("vk-find").value}“ i ${cues} tekster er erstattet (Alt+Z fortryder).${extra}`);
  }
  async function replaceNext() {
    const re = pattern();
    if (!re) return;
    const found = matches(re);
    const next = found.find((m) => m.cue >= vk.selected) || found[0];
    if (!next) { msg(`„${$("vk-find").value}“ findes ikke i teksterne.`); return; }
    replace([next], re);
    vk.goto(next.cue, false);
    msg(`Erstattet i tekst ${next.cue + 1}; ${found.length - 1} tilbage.`);
  }
  $("vk-find-panel").addEventListener("submit", replaceAll);
  document.querySelector('[data-find="one"]').addEventListener("click", replaceNext);
  vk.on("structure", () => { if (!$("vk-find-panel").hidden && $("vk-find").value) preview(true); });

  // -- misspelled words, listed: go to the text, take a suggestion, or accept the word ----------
  const spellList = $("vk-spelling");
  vk.on("checked", (data) => {
    const items = [];
    if (data.speller === false) {
      const li = document.createElement("li");
      li.textContent = "Stavekontrollen er ikke installeret på denne maskine (pakken hunspell-da).";
      items.push(li);
    }
    for (const [i, words] of Object.entries(data.spelling || {})) {
      for (const w of words) {
        if (items.length >= MAX_SHOWN) break;
        const li = document.createElement("li");
        const go = document.createElement("button");
        go.type = "button";
        go.className = "vk-link";
        go.textContent = `Tekst ${Number(i) + 1}`;
        go.addEventListener("click", () => vk.goto(Number(i)));
        const mark = document.createElement("mark");
        mark.className = "vk-misspelled";
        mark.textContent = w.word;
        const add = document.createElement("button");
        add.type = "button";
        add.textContent = "Tilføj til ordlisten";
        add.setAttribute("aria-label", `Tilføj til ordlisten: ${w.word}`);
        add.addEventListener("click", async () => {
          const { ok, data: answer } = await vk.call("/words", { word: w.word });
          if (ok) { vk.say(answer.message, "vk-edit-msg"); vk.recheck(); } else vk.warn(answer.error, "vk-edit-msg");
        });
        li.append(go, ": ", mark, " ");
        w.suggestions.slice(0, 3).forEach((sug) => {
          const fix = document.createElement("button");
          fix.type = "button";
          fix.className = "vk-suggest";
          fix.textContent = sug;
          fix.setAttribute("aria-label", `Ret ${w.word} til ${sug} i tekst ${Number(i) + 1}`);
          fix.addEventListener("click", () => vk.fixWord(Number(i), w.word, sug));
          li.append(fix, " ");
        });
        li.append(add);
        items.push(li);
      }
    }
    if (!items.length) {
      const li = document.createElement("li");
      li.textContent = "Ingen stavefejl fundet.";
      items.push(li);
    }
    spellList.replaceChildren(...items);
  });
});
