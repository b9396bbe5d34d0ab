// bincio web pages: small progressive enhancements. Every page and form
// works without this file; it only saves reloads and clicks.
// Loaded with `defer` from /assets/<hash>/app.js (CSP: script-src 'self').
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");

  // Copy buttons: <button data-copy="text">. Falls back to a hidden
  // textarea where the clipboard API is unavailable.
  function copied(button) {
    var label = button.textContent;
    button.textContent = document.body.getAttribute("data-copied") || "Copied";
    button.classList.add("is-copied");
    setTimeout(function () {
      button.textContent = label;
      button.classList.remove("is-copied");
    }, 1600);
  }
  function copyFallback(text, button) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    try {
      if (document.execCommand("copy")) copied(button);
    } catch (e) { /* the value stays visible to copy by hand */ }
    area.remove();
  }
  document.addEventListener("click", function (ev) {
    var button = ev.target.closest ? ev.target.closest("[data-copy]") : null;
    if (!button) return;
    var text = button.getAttribute("data-copy");
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { copied(button); },
        function () { copyFallback(text, button); });
    } else {
      copyFallback(text, button);
    }
  });

  // Theme toggle: post the same form in the background and switch the
  // attribute at once (the server remembers it in a cookie).
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.classList || !form.classList.contains("theme-toggle")) return;
    var submitter = ev.submitter;
    if (!submitter || !window.fetch) return;
    ev.preventDefault();
    var body = new URLSearchParams(new FormData(form, submitter));
    root.setAttribute("data-theme", submitter.value);
    fetch(form.action, { method: "POST", body: body, credentials: "same-origin", redirect: "manual" });
  });

  // Selects that apply at once (the language menu).
  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) el.form.requestSubmit();
  });

  // Live sections: <section data-live="/url"> whose #id child is replaced
  // by the same element from the URL every few seconds while visible.
  var live = document.querySelectorAll("[data-live]");
  if (!live.length || !window.fetch) return;
  function refresh() {
    if (document.hidden) return;
    live.forEach(function (section) {
      var url = section.getAttribute("data-live");
      fetch(url, { credentials: "same-origin", headers: { "accept": "text/html" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (!html) return;
          var tpl = document.createElement("template");
          tpl.innerHTML = html.trim();
          var fresh = tpl.content.firstElementChild;
          var old = fresh && fresh.id ? section.querySelector("#" + fresh.id) : null;
          if (old) old.replaceWith(fresh);
        })
        .catch(function () { /* try again on the next tick */ });
    });
  }
  setInterval(refresh, 2000);
  document.addEventListener("visibilitychange", refresh);
})();
