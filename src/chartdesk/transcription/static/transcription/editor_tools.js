// The editor's templates and spelling check. "Insert template" puts the chosen template at the cursor
// (without a script the button reloads the editor with it after the text, unsaved). The spelling list
// is the server's (transcription/spelling.py): rechecked a moment after typing stops, and "Add to my
// dictionary" adds the word without leaving the page. Loaded as a file: the CSP forbids inline scripts.
(function () {
  "use strict";

  var text = document.getElementById("id_text");
  if (!text) return;
  var csrf = document.querySelector("#tx-form input[name=csrfmiddlewaretoken]");

  // ---- templates
  var templateForm = document.getElementById("tx-template-form");
  var templates = {};
  try { templates = JSON.parse(document.getElementById("tx-templates").textContent) || {}; } catch (e) { /* none */ }
  if (templateForm) {
    templateForm.addEventListener("submit", function (event) {
      var chosen = templates[document.getElementById("tx-template").value];
      if (chosen === undefined) return;  // let the server answer
      event.preventDefault();
      var start = text.selectionStart, end = text.selectionEnd;
      text.setRangeText(chosen, start, end, "end");
      text.dispatchEvent(new Event("input", { bubbles: true }));
      text.focus();
    });
  }

  // ---- spelling
  var section = document.getElementById("tx-spelling");
  var results = document.getElementById("tx-spell-results");
  if (!section || !results || !csrf) return;
  var timer = null;

  function post(url, fields) {
    var body = new URLSearchParams(fields);
    return fetch(url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrf.value, "Accept": "application/json" }
    }).then(function (response) { return response.json(); });
  }

  function show(misspellings) {
    results.textContent = "";
    if (!misspellings.length) {
      var none = document.createElement("p");
      none.className = "empty";
      none.textContent = "Every word is in the word lists or your dictionary.";
      results.appendChild(none);
      return;
    }
    var list = document.createElement("ul");
    misspellings.forEach(function (entry) {
      var item = document.createElement("li");
      var word = document.createElement("strong");
      word.textContent = entry.word;
      item.appendChild(word);
      var where = " (line " + entry.line + (entry.count > 1 ? ", " + entry.count + " times" : "") + "): ";
      item.appendChild(document.createTextNode(where + (entry.suggestions.length
        ? "perhaps " + entry.suggestions.join(", ") : "no suggestion") + " "));
      var add = document.createElement("button");
      add.type = "button";
      add.className = "link";
      add.textContent = "Add to my dictionary";
      add.addEventListener("click", function () {
        post(section.dataset.dictionaryUrl, { word: entry.word }).then(check);
      });
      item.appendChild(add);
      list.appendChild(item);
    });
    results.appendChild(list);
  }

  function check() {
    post(section.dataset.checkUrl, { text: text.value }).then(function (answer) {
      if (answer.misspellings) show(answer.misspellings);
    }).catch(function () { /* the list as the page drew it stays */ });
  }

  text.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 800);
  });
  var button = document.getElementById("tx-spell-check");
  if (button) {
    button.hidden = false;
    button.addEventListener("click", check);
  }
})();
