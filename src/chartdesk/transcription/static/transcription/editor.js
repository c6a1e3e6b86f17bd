// The transcriptionist's editor: audio synced to the machine draft's words, the keys a transcriptionist
// (and a foot pedal sending F-keys) expects, abbreviation expansion, and do-not-use flags as one types.
// Loaded as a file because the CSP forbids inline scripts; the server repeats the flag check on save.
(function () {
  "use strict";

  var audio = document.getElementById("tx-audio");
  var text = document.getElementById("id_text");
  if (!audio || !text) return;
  var words = Array.prototype.slice.call(document.querySelectorAll(".tx-word"));
  var rateOut = document.getElementById("tx-rate");
  var flagList = document.getElementById("tx-live-flags");
  var abbreviations = {};
  try { abbreviations = JSON.parse(document.getElementById("tx-abbreviations").textContent); } catch (e) { /* none */ }

  // ---- words follow the audio
  var current = null;
  function highlight() {
    var t = audio.currentTime;
    var found = null;
    for (var i = 0; i < words.length; i++) {
      if (t >= parseFloat(words[i].dataset.start) && t < parseFloat(words[i].dataset.end)) { found = words[i]; break; }
    }
    if (found === current) return;
    if (current) current.classList.remove("tx-current");
    if (found) found.classList.add("tx-current");
    current = found;
  }
  audio.addEventListener("timeupdate", highlight);
  audio.addEventListener("seeked", highlight);
  words.forEach(function (word) {
    word.addEventListener("click", function () {
      audio.currentTime = parseFloat(word.dataset.start);
      highlight();
      var playing = audio.play();
      if (playing && playing.catch) playing.catch(function () { /* the browser refused autoplay: seeking is enough */ });
    });
  });

  // The word list is one tab stop (roving tabindex): arrows move between words, Enter or Space seeks.
  var wordList = document.getElementById("tx-words");
  if (wordList && words.length) {
    words[0].tabIndex = 0;
    wordList.addEventListener("keydown", function (event) {
      var at = words.indexOf(document.activeElement);
      if (at < 0) return;
      var next = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: words.length - 1 }[event.key];
      if (next !== undefined) {
        event.preventDefault();
        next = Math.max(0, Math.min(words.length - 1, next));
        words[at].tabIndex = -1;
        words[next].tabIndex = 0;
        words[next].focus();
      } else if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        words[at].click();
      }
    });
  }

  // ---- keys: they work while typing in the transcript, and never move the focus
  function clock(seconds) {
    var whole = Math.max(0, Math.floor(seconds));
    var minutes = Math.floor(whole / 60), rest = whole % 60;
    return (minutes < 10 ? "0" : "") + minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }
  function setRate(rate) {
    audio.playbackRate = Math.round(Math.min(2, Math.max(0.5, rate)) * 10) / 10;
    if (rateOut) rateOut.textContent = audio.playbackRate.toFixed(1) + "×";
  }
  function insertAtCursor(snippet) {
    var start = text.selectionStart, end = text.selectionEnd;
    text.value = text.value.slice(0, start) + snippet + text.value.slice(end);
    text.selectionStart = text.selectionEnd = start + snippet.length;
    text.focus();
    checkFlags();
  }
  var KEYS = {
    Escape: function () { if (audio.paused) audio.play(); else audio.pause(); },
    F4: function () { if (audio.paused) audio.play(); else audio.pause(); },
    F2: function () { audio.currentTime = Math.max(0, audio.currentTime - 3); },
    F3: function () { audio.currentTime = Math.min(audio.duration || Infinity, audio.currentTime + 3); },
    F7: function () { setRate(audio.playbackRate - 0.1); },
    F8: function () { setRate(audio.playbackRate + 0.1); },
    F9: function () { insertAtCursor("[inaudible " + clock(audio.currentTime) + "]"); }
  };
  document.addEventListener("keydown", function (event) {
    var act = KEYS[event.key];
    if (!act || event.ctrlKey || event.altKey || event.metaKey) return;
    event.preventDefault();
    act();
  });

  // ---- abbreviation expansion: the word just finished by a space or punctuation
  var ENDS = /[\s.,;:!?)]/;
  text.addEventListener("input", function (event) {
    if (event.inputType && event.inputType.indexOf("insert") !== 0) return;
    var cursor = text.selectionStart;
    var typed = text.value.charAt(cursor - 1);
    if (!ENDS.test(typed)) return;
    var before = text.value.slice(0, cursor - 1);
    var match = /(^|[\s(])([A-Za-z0-9\/.]+)$/.exec(before);
    if (!match) return;
    var short = match[2];
    var long = abbreviations[short.toLowerCase()];
    if (!long) return;
    if (short.charAt(0) !== short.charAt(0).toLowerCase()) long = long.charAt(0).toUpperCase() + long.slice(1);
    var start = before.length - short.length;
    text.value = text.value.slice(0, start) + long + text.value.slice(cursor - 1);
    text.selectionStart = text.selectionEnd = start + long.length + 1;
  });

  // ---- The Joint Commission's do-not-use list (kept in step with transcription/editor.py)
  var DO_NOT_USE = [
    ["U", /(?<![\w.])U(?![\w.])/g, "write \"unit\""],
    ["IU", /(?<![\w.])IU(?![\w.])/g, "write \"International Unit\""],
    ["Q.D.", /(?<![\w.])q\.?\s?d\.?(?!\w)/gi, "write \"daily\""],
    ["Q.O.D.", /(?<![\w.])q\.?\s?o\.?\s?d\.?(?!\w)/gi, "write \"every other day\""],
    ["trailing zero", /(?<![\w.])\d+\.0+(?![\d.]*\d)/g, "write X mg, never X.0 mg"],
    ["lack of leading zero", /(?<![\w.])\.\d+/g, "write 0.X mg, never .X mg"],
    ["MS", /(?<![\w.])MS(?![\w.])/g, "write \"morphine sulfate\" or \"magnesium sulfate\""],
    ["MSO4", /(?<![\w.])MSO4(?![\w.])/g, "write \"morphine sulfate\""],
    ["MgSO4", /(?<![\w.])MgSO4(?![\w.])/g, "write \"magnesium sulfate\""]
  ];
  function checkFlags() {
    if (!flagList) return;
    var found = [];
    DO_NOT_USE.forEach(function (rule) {
      var match;
      rule[1].lastIndex = 0;
      while ((match = rule[1].exec(text.value)) !== null) found.push([match.index, rule[0], match[0], rule[2]]);
    });
    found.sort(function (a, b) { return a[0] - b[0]; });
    flagList.textContent = "";
    found.forEach(function (flag) {
      var item = document.createElement("li");
      item.textContent = "Do-not-use: " + flag[2] + " (" + flag[1] + "): " + flag[3] + ".";
      flagList.appendChild(item);
    });
  }
  var pending = null;
  text.addEventListener("input", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(checkFlags, 250);
  });
  checkFlags();
})();
