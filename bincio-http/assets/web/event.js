// bincio event console: live dashboard figures (server-sent events), the
// desk's camera scan (BarcodeDetector, where the browser has it) and its
// offline queue. Every page works without this file.
(function () {
  "use strict";

  // ---- live figures: <div data-live-figures="/event/live"> ----
  var live = document.querySelector("[data-live-figures]");
  if (live && window.EventSource) {
    var badge = document.querySelector("[data-live-badge]");
    var es = new EventSource(live.getAttribute("data-live-figures"));
    es.addEventListener("figures", function (ev) {
      var tpl = document.createElement("template");
      tpl.innerHTML = ev.data;
      var fresh = tpl.content.firstElementChild;
      if (fresh) live.replaceChildren(fresh);
      if (badge) badge.hidden = false;
    });
    es.onerror = function () { if (badge) badge.hidden = true; };
  }

  // ---- the desk ----
  var queueBox = document.querySelector("[data-queue]");
  if (!queueBox) return;
  var list = queueBox.querySelector("[data-queue-list]");
  var strings = document.getElementById("desk-strings");
  var KEY = "bincio-desk-queue";
  function load() { try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; } }
  function save(q) { localStorage.setItem(KEY, JSON.stringify(q)); }
  function show() {
    var q = load();
    queueBox.hidden = q.length === 0;
    list.replaceChildren();
    q.forEach(function (s) {
      var li = document.createElement("li");
      li.className = "pending";
      li.textContent = s.label + " · " + (strings ? strings.getAttribute("data-pending") : "pending");
      list.appendChild(li);
    });
  }
  var sending = false;
  function flush() {
    var q = load();
    if (!q.length || sending) return;
    sending = true;
    fetch("/api/event/scans", {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(q.map(function (s) { return { token: s.token, scenario: s.scenario, nonce: s.nonce, scanned_at: s.at }; })),
    }).then(function (r) {
      sending = false;
      if (!r.ok) return; // keep them: sent again later, each applied once
      return r.json().then(function (answers) {
        var done = {};
        answers.forEach(function (a) { done[a.nonce] = true; });
        save(load().filter(function (s) { return !done[s.nonce]; }));
        show();
        if (answers.length) location.reload();
      });
    }, function () { sending = false; });
  }
  show();
  setInterval(flush, 3000);
  window.addEventListener("online", flush);

  // A check-in form that cannot reach the server is queued, not lost.
  document.querySelectorAll("form[data-desk-use]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var body = new URLSearchParams(new FormData(form));
      fetch(form.action, { method: "POST", body: body, credentials: "same-origin" })
        .then(function (r) {
          if (r.status >= 500) throw new Error("server");
          return r.text().then(function (html) { document.open(); document.write(html); document.close(); });
        })
        .catch(function () {
          var row = form.closest("tr");
          var attendee = form.closest("[data-attendee]");
          var q = load();
          q.push({
            token: attendee ? attendee.getAttribute("data-token") : null,
            scenario: form.querySelector("[name=scenario]").value,
            nonce: form.querySelector("[name=nonce]").value,
            at: Math.floor(Date.now() / 1000),
            label: (attendee ? attendee.querySelector("h2").firstChild.textContent.trim() : "") + " · " + (row ? row.querySelector("th").firstChild.textContent : ""),
          });
          save(q);
          show();
        });
    });
  });

  // ---- camera: the ticket QR is the attendee's token ----
  // The browser's BarcodeDetector where it has one; else jsQR (vendored,
  // loaded only when the camera is first used) over the video's frames.
  var scanner = document.querySelector("[data-scanner]");
  if (scanner && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    scanner.hidden = false;
    var video = scanner.querySelector("[data-scan-video]");
    var found = function (value, stream) {
      stream.getTracks().forEach(function (t) { t.stop(); });
      location.href = "/event/desk/?q=" + encodeURIComponent(value);
    };
    var withDecoder = function (ready) {
      if ("BarcodeDetector" in window) {
        var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        ready(function (v) {
          return detector.detect(v).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
        });
        return;
      }
      var canvas = document.createElement("canvas");
      var ctx = canvas.getContext("2d", { willReadFrequently: true });
      var decode = function (v) {
        canvas.width = v.videoWidth;
        canvas.height = v.videoHeight;
        if (!canvas.width) return Promise.resolve(null);
        ctx.drawImage(v, 0, 0);
        var img = ctx.getImageData(0, 0, canvas.width, canvas.height);
        var code = window.jsQR(img.data, img.width, img.height);
        return Promise.resolve(code ? code.data : null);
      };
      if (window.jsQR) { ready(decode); return; }
      var script = document.createElement("script");
      script.src = scanner.getAttribute("data-jsqr");
      script.onload = function () { ready(decode); };
      document.head.appendChild(script);
    };
    scanner.querySelector("[data-scan-start]").addEventListener("click", function () {
      withDecoder(function (decode) {
        navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
          video.srcObject = stream;
          video.hidden = false;
          video.play();
          var tick = function () {
            decode(video).then(function (value) {
              if (value) found(value, stream); else requestAnimationFrame(tick);
            }, function () { requestAnimationFrame(tick); });
          };
          tick();
        });
      });
    });
  }
})();
