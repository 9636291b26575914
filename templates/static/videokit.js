/* Interactive transcript. Without this script the page still works: the time links are media
   fragments (video.mp4#t=12.3) that open the video at that moment. With it, they become buttons that
   seek the player on the page, and the paragraph being spoken is highlighted. The highlight is visual
   and aria-current only: no live region, so screen reader users are not talked over while watching. */
(function () {
  "use strict";
  var video = document.querySelector("video[data-vk-player]");
  var transcript = document.querySelector("[data-vk-transcript]");
  if (!video || !transcript) { return; }

  var paras = Array.prototype.slice.call(transcript.querySelectorAll("[data-start]"));
  var starts = paras.map(function (p) { return parseInt(p.getAttribute("data-start"), 10) / 1000; });
  var current = -1;

  function seek(seconds) {
    video.currentTime = seconds;
    var playing = video.play();
    // play() may be refused (no media yet, browser policy); the seek still stands.
    if (playing && typeof playing.catch === "function") { playing.catch(function () {}); }
  }

  // Turn each fragment link into a button: it acts on this page, so it is not navigation, and a
  // button gets Enter and Space from the browser.
  Array.prototype.forEach.call(transcript.querySelectorAll("a.vk-time"), function (link) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = link.className;
    button.setAttribute("data-seek", link.getAttribute("data-seek"));
    while (link.firstChild) { button.appendChild(link.firstChild); }
    link.parentNode.replaceChild(button, link);
  });

  transcript.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("button[data-seek]") : null;
    if (!target) { return; }
    seek(parseInt(target.getAttribute("data-seek"), 10) / 1000);
  });

  function highlight() {
    var t = video.currentTime;
    var index = -1;
    // Last paragraph that has started; stays lit through the pause before the next one.
    for (var i = 0; i < starts.length && starts[i] <= t + 0.05; i++) { index = i; }
    if (index === current) { return; }
    if (current >= 0) {
      paras[current].classList.remove("vk-current");
      paras[current].removeAttribute("aria-current");
    }
    if (index >= 0) {
      paras[index].classList.add("vk-current");
      paras[index].setAttribute("aria-current", "true");
    }
    current = index;
  }
  video.addEventListener("timeupdate", highlight);
  video.addEventListener("seeked", highlight);

  // A shared link such as page.html#t=75 opens the player at 75 s (without starting it).
  var match = /^#t=(\d+(?:\.\d+)?)$/.exec(window.location.hash);
  if (match) {
    var at = parseFloat(match[1]);
    if (video.readyState >= 1) { video.currentTime = at; }
    else { video.addEventListener("loadedmetadata", function () { video.currentTime = at; }, { once: true }); }
  }
})();

/* The player's own controls: play, captions, descriptions and caption size side by side, as
   buttons (keyboard and screen reader operable: Tab, Enter, Space), because the browser's own
   player hides captions in a menu and offers no descriptions or caption size at all (EN 301 549
   7.1.4, 7.3). Descriptions are a hidden text track whose current cue is written into a polite
   live region: a screen reader reads it, and it is shown under the video for everyone who
   turned descriptions on. Without this script the controls stay hidden and the browser's own
   remain; the descriptions are in the transcript either way. */
(function () {
  "use strict";
  var video = document.querySelector("video[data-vk-player]");
  var bar = document.querySelector("[data-vk-controls]");
  if (!video || !bar || !video.textTracks) { return; }
  var wrap = video.closest("[data-vk-player-wrap]") || video.parentNode;
  var live = document.querySelector("[data-vk-description-live]");
  var play = bar.querySelector("[data-vk-play]");
  var captionsButton = bar.querySelector("[data-vk-captions]");
  var descriptionsButton = bar.querySelector("[data-vk-descriptions]");
  var sizeButton = bar.querySelector("[data-vk-size]");
  var SIZES = [["normal", "normal"], ["large", "stor"], ["larger", "meget stor"]];

  function track(kind) {
    for (var i = 0; i < video.textTracks.length; i++) {
      if (video.textTracks[i].kind === kind) { return video.textTracks[i]; }
    }
    return null;
  }
  var captions = track("captions") || track("subtitles");
  var descriptions = track("descriptions");

  function pressed(button, on) { button.setAttribute("aria-pressed", on ? "true" : "false"); }

  play.addEventListener("click", function () {
    if (video.paused) {
      var started = video.play();
      if (started && typeof started.catch === "function") { started.catch(function () {}); }
    } else { video.pause(); }
  });
  function playState() { play.textContent = video.paused ? "Afspil" : "Pause"; }
  video.addEventListener("play", playState);
  video.addEventListener("pause", playState);

  if (captions) {
    captions.mode = "showing";
    captionsButton.addEventListener("click", function () {
      var on = captions.mode !== "showing";
      captions.mode = on ? "showing" : "hidden";
      pressed(captionsButton, on);
    });
  } else { captionsButton.hidden = true; }

  var describing = false;
  function describe() {
    if (!live || !descriptions) { return; }
    var cues = descriptions.activeCues;
    var text = "";
    for (var i = 0; cues && i < cues.length; i++) { text += (text ? " " : "") + cues[i].text; }
    if (describing && text && live.textContent !== text) { live.textContent = text; }
  }
  if (descriptions && descriptionsButton && live) {
    descriptions.mode = "hidden"; // loaded and timed, never drawn over the picture
    descriptions.addEventListener("cuechange", describe);
    descriptionsButton.addEventListener("click", function () {
      describing = !describing;
      pressed(descriptionsButton, describing);
      live.hidden = !describing;
      if (!describing) { live.textContent = ""; } else { describe(); }
    });
  }

  sizeButton.addEventListener("click", function () {
    var at = 0;
    for (var i = 0; i < SIZES.length; i++) { if (SIZES[i][0] === sizeButton.getAttribute("data-size")) { at = i; } }
    var next = SIZES[(at + 1) % SIZES.length];
    wrap.classList.remove("vk-cues-large", "vk-cues-larger");
    if (next[0] !== "normal") { wrap.classList.add("vk-cues-" + next[0]); }
    sizeButton.setAttribute("data-size", next[0]);
    sizeButton.textContent = "Tekststørrelse: " + next[1];
  });

  bar.hidden = false;
})();
