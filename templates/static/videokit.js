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
