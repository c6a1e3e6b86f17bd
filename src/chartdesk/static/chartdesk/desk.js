// Chartdesk desk behaviour: small, progressive, no inline scripts (the CSP forbids them).
(function () {
  "use strict";

  // Automatic log-off: the server enforces the idle limit, counted from the last request; this takes
  // the screen away from patient data when the time is up, even if nobody touches the page again.
  // Before that (WCAG 2.2.1) a dialog warns and offers "Stay signed in", which sends one request
  // and so restarts the server's clock. Someone typing a long note sends no request: their activity
  // restarts the clock quietly (one request when the warning time comes), so no form is lost.
  function startIdleLogoff() {
    var body = document.body;
    var seconds = parseInt(body.dataset.idleLogoffSeconds || "0", 10);
    var logoutUrl = body.dataset.logoutUrl;
    var stayUrl = body.dataset.stayUrl;
    var dialog = document.querySelector("[data-idle-warning]");
    if (!seconds || !logoutUrl) return;
    // Warn two minutes before, or half way for a very short limit.
    var warnAt = Math.min(120, Math.floor(seconds / 2)) * 1000;
    var deadline = Date.now() + seconds * 1000;
    var activeSince = false;
    var returnFocus = null;
    function contacted() { deadline = Date.now() + seconds * 1000; activeSince = false; }
    ["keydown", "mousedown", "touchstart", "scroll"].forEach(function (name) {
      document.addEventListener(name, function (event) {
        if (!dialog || !dialog.open || !dialog.contains(event.target)) activeSince = true;
      }, { passive: true });
    });
    document.body.addEventListener("htmx:afterRequest", contacted);

    function logOff() {
      var form = document.createElement("form");
      form.method = "post";
      form.action = logoutUrl + "?reason=idle";
      var token = document.querySelector("input[name=csrfmiddlewaretoken]") || csrfInput();
      if (token) form.appendChild(token.cloneNode());
      document.body.appendChild(form);
      form.submit();
    }
    var pending = false;
    function stay() {
      if (!stayUrl || pending) return;
      pending = true;
      var token = csrfInput();
      fetch(stayUrl, { method: "POST", credentials: "same-origin", redirect: "manual",
                       headers: { "X-CSRFToken": token ? token.value : "" } })
        .then(function (response) {
          if (!response.ok) { window.location.reload(); return; }  // already logged off on the server
          contacted();
          closeWarning();
        })
        .catch(function () { /* offline: the warning stays up and the clock runs on */ })
        .then(function () { pending = false; });
    }
    function remainingText(ms) {
      var left = Math.max(0, Math.ceil(ms / 1000));
      var minutes = Math.ceil(left / 60);
      return left >= 60 ? minutes + " minute" + (minutes === 1 ? "" : "s")
                        : left + " second" + (left === 1 ? "" : "s");
    }
    function openWarning(ms) {
      if (!dialog || dialog.open) return;
      returnFocus = document.activeElement;
      dialog.querySelector("[data-idle-remaining]").textContent = remainingText(ms);
      dialog.showModal();
      dialog.querySelector("[data-idle-stay]").focus();
    }
    function closeWarning() {
      if (!dialog || !dialog.open) return;
      dialog.close();
      if (returnFocus && returnFocus.focus) returnFocus.focus();
    }
    if (dialog) {
      dialog.querySelector("[data-idle-stay]").addEventListener("click", stay);
      dialog.querySelector("[data-idle-leave]").addEventListener("click", function () {
        var form = document.querySelector(".whoami form");
        if (form) form.submit(); else logOff();
      });
      // Escape closes a modal dialog; here it means "stay", the choice that loses nothing.
      dialog.addEventListener("cancel", function (event) { event.preventDefault(); stay(); });
    }
    window.setInterval(function () {
      var left = deadline - Date.now();
      if (left <= 0) { logOff(); return; }
      if (left > warnAt) return;
      if (activeSince && !(dialog && dialog.open)) { stay(); return; }
      openWarning(left);
      if (dialog && dialog.open) dialog.querySelector("[data-idle-remaining]").textContent = remainingText(left);
    }, 1000);
  }

  function csrfInput() {
    var headers = document.body.getAttribute("hx-headers");
    if (!headers) return null;
    try {
      var value = JSON.parse(headers)["X-CSRFToken"];
      var input = document.createElement("input");
      input.type = "hidden"; input.name = "csrfmiddlewaretoken"; input.value = value;
      return input;
    } catch (e) { return null; }
  }

  // Result lists: arrow keys move through results, Enter opens one, "/" focuses the search box.
  function resultLinks() {
    return Array.prototype.slice.call(document.querySelectorAll(".results li a"));
  }
  // Results are plain links in a list: moving focus is enough (no listbox ARIA, which would need
  // option roles and aria-activedescendant that a list of links does not have).
  function select(links, index) {
    if (links[index]) links[index].focus();
  }

  // The "/" shortcut can be turned off per browser (someone who types "/" into other widgets, or
  // whose assistive technology uses it): the choice lives in localStorage, no account setting needed.
  var SHORTCUT_KEY = "chartdesk.slashShortcut";
  function slashShortcutOn() {
    try { return window.localStorage.getItem(SHORTCUT_KEY) !== "off"; } catch (e) { return true; }
  }
  function showShortcutToggles() {
    document.querySelectorAll("[data-shortcut-toggle]").forEach(function (button) {
      var on = slashShortcutOn();
      button.textContent = on ? "Turn off the / shortcut" : "Turn on the / shortcut";
      button.setAttribute("aria-pressed", on ? "false" : "true");
      button.hidden = false;
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-shortcut-toggle]");
    if (!button) return;
    try { window.localStorage.setItem(SHORTCUT_KEY, slashShortcutOn() ? "off" : "on"); } catch (e) { return; }
    showShortcutToggles();
  });
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target.matches && target.matches("input, textarea, select");
    if (event.key === "/" && !typing && slashShortcutOn()) {
      var box = document.querySelector("[data-search-box]");
      if (box) { event.preventDefault(); box.focus(); box.select(); }
      return;
    }
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    var links = resultLinks();
    if (!links.length) return;
    var inResults = links.indexOf(target);
    var fromSearch = target.matches && target.matches("[data-search-box]");
    if (inResults === -1 && !fromSearch) return;
    event.preventDefault();
    var next = inResults === -1 ? 0 : inResults + (event.key === "ArrowDown" ? 1 : -1);
    if (next < 0) { document.querySelector("[data-search-box]").focus(); return; }
    select(links, Math.min(next, links.length - 1));
  });

  // The schedule's calendar: arrow keys move between slots (up and down within a day, left and right
  // to the same row of the next day); Enter follows the slot's link, which books it or opens it.
  document.addEventListener("keydown", function (event) {
    var slot = event.target.closest && event.target.closest("[data-slot]");
    if (!slot || ["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight"].indexOf(event.key) === -1) return;
    var column = slot.closest("[data-slot-column]");
    var columns = Array.prototype.slice.call(document.querySelectorAll("[data-slot-column]"));
    var inColumn = Array.prototype.slice.call(column.querySelectorAll("[data-slot]"));
    var row = inColumn.indexOf(slot);
    var target = null;
    if (event.key === "ArrowUp" || event.key === "ArrowDown") {
      target = inColumn[row + (event.key === "ArrowDown" ? 1 : -1)];
    } else {
      var other = columns[columns.indexOf(column) + (event.key === "ArrowRight" ? 1 : -1)];
      var slots = other ? other.querySelectorAll("[data-slot]") : [];
      target = slots.length ? slots[Math.min(row, slots.length - 1)] : null;
    }
    if (target) { event.preventDefault(); target.focus(); }
  });

  // Confirmations for irreversible acts (signing, marking entered in error) without inline JS.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });

  // Focus stays where the user worked: a form posted on a page that answers by showing the same
  // page again (post, redirect, get: every coding action) would leave focus at the top. On submit
  // the page remembers the form (its aria-label, or its place among the page's forms) and the field
  // in use; when the same page comes back, focus goes to that field of that form, else to the
  // nearest section still there (a removed row's section), else stays at the top.
  var FOCUS_KEY = "chartdesk.returnFocus";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || (form.method || "").toLowerCase() !== "post") return;
    var forms = Array.prototype.slice.call(document.querySelectorAll("form"));
    var active = document.activeElement;
    var section = form.closest("section[id], [aria-labelledby], [id]:not(form)");
    try {
      window.sessionStorage.setItem(FOCUS_KEY, JSON.stringify({
        path: window.location.pathname,
        label: form.getAttribute("aria-label") || "",
        index: forms.indexOf(form),
        field: active && form.contains(active) && active.name && active.type !== "submit" ? active.name : "",
        section: section ? (section.id || section.getAttribute("aria-labelledby") || "") : ""
      }));
    } catch (e) { /* storage off: focus starts at the top as before */ }
  });
  function returnFocus() {
    var saved;
    try {
      saved = JSON.parse(window.sessionStorage.getItem(FOCUS_KEY) || "null");
      window.sessionStorage.removeItem(FOCUS_KEY);
    } catch (e) { return; }
    if (!saved || saved.path !== window.location.pathname) return;
    if (document.querySelector(".form-errors [role=alert], .form-errors")) return;  // errors take focus
    var form = null;
    if (saved.label) {
      form = Array.prototype.slice.call(document.querySelectorAll("form[aria-label]")).filter(function (f) {
        return f.getAttribute("aria-label") === saved.label;
      })[0] || null;
    }
    var target = null;
    if (form) {
      target = (saved.field && form.querySelector("[name='" + saved.field.replace(/'/g, "") + "']:not([type=hidden])"))
        || form.querySelector("input:not([type=hidden]), select, textarea, button");
    }
    if (!target && saved.section) {
      var section = document.getElementById(saved.section);
      if (section) {
        target = section.matches("h1, h2, h3, h4") ? section : section.querySelector("h2, h3") || section;
        if (!target.hasAttribute("tabindex") && !target.matches("a, button, input, select, textarea")) {
          target.setAttribute("tabindex", "-1");
        }
      }
    }
    if (target) { target.focus(); if (target.scrollIntoView) target.scrollIntoView({ block: "center" }); }
  }

  document.addEventListener("DOMContentLoaded", returnFocus);
  document.addEventListener("DOMContentLoaded", startIdleLogoff);
  document.addEventListener("DOMContentLoaded", showShortcutToggles);
})();
