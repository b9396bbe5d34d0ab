// bincio upload page: drag-and-drop, and one request per file so every
// file shows its own progress bar and outcome as soon as the server has
// it. Without this file the form posts every file at once and the server
// answers with the results page.
(function () {
  "use strict";
  var form = document.querySelector("[data-upload]");
  if (!form || !window.XMLHttpRequest || !window.FormData) return;
  var input = form.querySelector("input[type=file]");
  var zone = form.querySelector("[data-dropzone]");
  var results = document.querySelector("[data-results]");
  var list = results.querySelector("[data-list]");
  var summary = results.querySelector("[data-summary]");
  var strings = document.getElementById("upload-strings");
  function s(name) { return strings ? strings.getAttribute("data-" + name) : name; }
  var queue = [], busy = false, totals = { added: 0, dup: 0, err: 0 };

  function row(name) {
    var li = document.createElement("li");
    li.className = "upload-item status-waiting";
    var n = document.createElement("span"); n.className = "upload-name"; n.textContent = name;
    var out = document.createElement("span"); out.className = "upload-outcome"; out.textContent = s("sending");
    var bar = document.createElement("progress"); bar.max = 100; bar.value = 0;
    li.appendChild(n); li.appendChild(out); li.appendChild(bar);
    list.appendChild(li);
    return { li: li, out: out, bar: bar };
  }
  function link(href, text) {
    var a = document.createElement("a"); a.href = href; a.textContent = text; return a;
  }
  function show(r, ev) {
    if (ev.type === "done") return;
    if (ev.type === "zip" && ev.status === "progress") {
      r.out.textContent = ev.message;
      if (ev.total) { r.bar.max = ev.total; r.bar.value = ev.n; }
      return;
    }
    var target = r;
    if (ev.type === "file" && ev.name !== r.name && r.zip) { target = row(ev.name); target.bar.remove(); }
    target.li.className = "upload-item status-" + ev.status;
    target.out.textContent = ev.message + " ";
    if (ev.href) target.out.appendChild(link(ev.href, s("open")));
    if (ev.other_href) { target.out.appendChild(document.createTextNode(" ")); target.out.appendChild(link(ev.other_href, s("open-existing"))); }
    if (ev.counts) { totals.added += ev.counts[0]; totals.dup += ev.counts[1]; }
    if (ev.type === "file") {
      if (ev.status === "new") totals.added++; else if (ev.status === "duplicate") totals.dup++; else if (ev.status === "error") totals.err++;
    }
    if (target === r && r.bar.parentNode) r.bar.remove();
  }
  function next() {
    if (busy || !queue.length) return;
    busy = true;
    var file = queue.shift();
    var r = row(file.name);
    r.name = file.name;
    r.zip = /\.zip$/i.test(file.name);
    var body = new FormData();
    form.querySelectorAll("input[type=hidden], input[type=checkbox]").forEach(function (f) {
      if (f.type !== "checkbox" || f.checked) body.append(f.name, f.value || "on");
    });
    body.append("files", file, file.name);
    var xhr = new XMLHttpRequest();
    var seen = 0, buffer = "";
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "text/event-stream");
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) r.bar.value = Math.round(e.loaded / e.total * 100);
    };
    xhr.upload.onload = function () { r.out.textContent = s("processing"); r.bar.removeAttribute("value"); };
    function drain() {
      buffer += xhr.responseText.slice(seen);
      seen = xhr.responseText.length;
      var parts = buffer.split("\n\n");
      buffer = parts.pop();
      parts.forEach(function (chunk) {
        var line = chunk.split("\n").filter(function (l) { return l.indexOf("data:") === 0; })
          .map(function (l) { return l.slice(5).trim(); }).join("");
        if (!line) return;
        try { show(r, JSON.parse(line)); } catch (e) { /* a partial frame: wait */ }
      });
    }
    xhr.onprogress = drain;
    xhr.onloadend = function () {
      if (xhr.status === 200) drain();
      else { r.li.className = "upload-item status-error"; r.out.textContent = (xhr.responseText && xhr.responseText.length < 300 && xhr.getResponseHeader("content-type") && xhr.getResponseHeader("content-type").indexOf("text/plain") === 0) ? xhr.responseText : s("failed"); if (r.bar.parentNode) r.bar.remove(); totals.err++; }
      busy = false;
      var args = [totals.added, totals.dup, totals.err];
      summary.textContent = (s("summary") || "{} {} {}").replace(/\{\}/g, function () { return args.shift(); });
      next();
    };
    xhr.send(body);
  }
  function add(files) {
    results.hidden = false;
    Array.prototype.forEach.call(files, function (f) { queue.push(f); });
    next();
  }
  form.addEventListener("submit", function (ev) {
    if (!input.files || !input.files.length) return;
    ev.preventDefault();
    add(input.files);
    input.value = "";
  });
  input.addEventListener("change", function () {
    if (input.files && input.files.length) { add(input.files); input.value = ""; }
  });
  input.required = false;
  ["dragenter", "dragover"].forEach(function (t) {
    zone.addEventListener(t, function (ev) { ev.preventDefault(); zone.classList.add("is-over"); });
  });
  ["dragleave", "drop"].forEach(function (t) {
    zone.addEventListener(t, function () { zone.classList.remove("is-over"); });
  });
  zone.addEventListener("drop", function (ev) {
    ev.preventDefault();
    if (ev.dataTransfer && ev.dataTransfer.files) add(ev.dataTransfer.files);
  });
})();
