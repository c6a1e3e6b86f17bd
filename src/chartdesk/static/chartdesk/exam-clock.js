// The exam's countdown: the time left on an exam page, kept current every second. Progressive: the page
// the server sends already says the time left (as of loading it), and the server alone closes the exam,
// so without this script nothing is lost. No inline script or style (the CSP forbids them).
//
// Accessible: the clock itself is a role="timer" element, which screen readers do not read out on every
// change (that would talk over the student's work each second); a separate polite live region speaks only
// when 10, 5 and 1 minutes are left, and when the time is up.
(function () {
  "use strict";

  var ANNOUNCE_AT = [600, 300, 60]; // seconds left

  function words(seconds) {
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    return minutes + " min " + (rest < 10 ? "0" : "") + rest + " s"; // as the server writes it
  }

  function announcement(threshold) {
    var minutes = threshold / 60;
    return minutes + (minutes === 1 ? " minute" : " minutes") + " left in the exam.";
  }

  function startClock(clock) {
    var text = clock.querySelector("[data-exam-clock-text]");
    var announcer = document.querySelector("[data-exam-clock-announce]");
    var start = parseInt(clock.dataset.secondsLeft || "", 10);
    if (!text || isNaN(start)) return;
    // Counted from this page's own clock and the seconds the server counted when it sent the page, so a
    // wrong clock on the student's computer does not move the deadline.
    var end = Date.now() + start * 1000;
    var shown = start;
    var timer = null;

    function tick() {
      var left = Math.max(0, Math.ceil((end - Date.now()) / 1000));
      if (left === shown && timer !== null) return;
      ANNOUNCE_AT.forEach(function (threshold) {
        if (announcer && shown > threshold && left <= threshold && left > 0) {
          announcer.textContent = announcement(threshold);
        }
      });
      shown = left;
      text.textContent = words(left);
      if (left === 0) {
        if (announcer) announcer.textContent = clock.dataset.timeUp || "Time is up.";
        clock.classList.add("time-up");
        window.clearInterval(timer);
      }
    }
    tick();
    timer = window.setInterval(tick, 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-exam-clock]").forEach(startClock);
  });
})();
