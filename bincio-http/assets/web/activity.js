// bincio activity page: the interactive map (Leaflet) and charts (uPlot)
// over the data the server put in <script type="application/json"
// id="activity-data">. Without this file the page shows the server-drawn
// SVG track and profiles; nothing here decides what may be shown (the
// server already cut privacy and hidden stats out of the data).
(function () {
  "use strict";
  var el = document.getElementById("activity-data");
  if (!el) return;
  var data;
  try { data = JSON.parse(el.textContent); } catch (e) { return; }
  // CSS colours are light-dark() pairs: resolve them through an element
  // so canvas and Leaflet get the colour the current theme uses.
  function color(name, fallback) {
    var probe = document.createElement("span");
    probe.style.color = "var(" + name + ")";
    probe.hidden = true;
    document.body.appendChild(probe);
    var v = getComputedStyle(probe).color;
    probe.remove();
    return v && v !== "rgba(0, 0, 0, 0)" ? v : fallback;
  }

  // ---- map ----
  var marker = null, map = null;
  var mapEl = document.getElementById("map");
  if (mapEl && window.L && data.track && data.track.length > 1) {
    mapEl.classList.add("is-live");
    var svg = mapEl.querySelector("svg");
    if (svg) svg.remove();
    map = L.map(mapEl, { scrollWheelZoom: false, attributionControl: false });
    var tiles = mapEl.getAttribute("data-tiles");
    if (tiles) {
      L.tileLayer(tiles, { maxZoom: 19, crossOrigin: false }).addTo(map);
    } else {
      mapEl.classList.add("no-tiles");
    }
    var accent = color("--track", "#e4572e");
    var line = L.polyline(data.track, { color: accent, weight: 4, opacity: 0.95 }).addTo(map);
    var first = data.track[0], last = data.track[data.track.length - 1];
    L.circleMarker(first, { radius: 6, color: "#fff", weight: 2, fillColor: "#16a34a", fillOpacity: 1 }).addTo(map);
    L.circleMarker(last, { radius: 6, color: "#fff", weight: 2, fillColor: "#dc2626", fillOpacity: 1 }).addTo(map);
    map.fitBounds(line.getBounds(), { padding: [16, 16], animate: false });
    var lastMapWidth = mapEl.clientWidth;
    window.addEventListener("resize", function () {
      if (mapEl.clientWidth === lastMapWidth) return;
      lastMapWidth = mapEl.clientWidth;
      map.invalidateSize({ animate: false });
      map.fitBounds(line.getBounds(), { padding: [16, 16], animate: false });
    });
    marker = L.circleMarker(first, { radius: 7, color: "#fff", weight: 3, fillColor: accent, fillOpacity: 1, className: "map-cursor" });
  }
  function moveMarker(i) {
    var c = data.charts;
    if (!marker || !c || !c.lat || !c.lon || i == null) return;
    var la = c.lat[i], lo = c.lon[i];
    if (la == null || lo == null) return;
    marker.setLatLng([la, lo]);
    if (!map.hasLayer(marker)) marker.addTo(map);
  }

  // ---- photos: a lightbox instead of leaving the page ----
  var box = document.getElementById("lightbox");
  if (box && box.showModal) {
    document.addEventListener("click", function (ev) {
      var a = ev.target.closest ? ev.target.closest("[data-photo]") : null;
      if (!a) return;
      ev.preventDefault();
      box.querySelector("img").src = a.getAttribute("href");
      box.showModal();
    });
    box.addEventListener("click", function (ev) { if (ev.target === box) box.close(); });
  }

  // ---- delete: ask once more ----
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (ev) {
      if (!window.confirm(f.getAttribute("data-confirm"))) ev.preventDefault();
    });
  });

  // ---- charts ----
  var c = data.charts;
  if (!window.uPlot || !c || !c.series || !c.series.length) return;
  var xKey = "t";
  var plots = [];
  var sync = uPlot.sync("activity");
  function clock(s) {
    s = Math.max(0, Math.round(s));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    return h ? h + ":" + (m < 10 ? "0" : "") + m + ":" + (r < 10 ? "0" : "") + r
      : m + ":" + (r < 10 ? "0" : "") + r;
  }
  function fmtX(v) { return xKey === "t" ? clock(v) : (Math.round(v * 10) / 10) + " " + c.dist_unit; }
  function fmtY(s, v) {
    if (v == null) return "–";
    return s.key === "pace" ? clock(v) + " " + s.unit : (Math.round(v * 10) / 10) + " " + s.unit;
  }
  // The y range of the data with a little room, not forced through 0.
  function fit(u, min, max) {
    if (min == null || max == null) return [0, 1];
    var pad = (max - min) * 0.08 || Math.abs(max) * 0.1 || 1;
    return [min - pad, max + pad];
  }
  function build() {
    plots.forEach(function (p) { p.destroy(); });
    plots = [];
    var xs = xKey === "d" && c.d ? c.d : c.t;
    var stroke = color("--chart", "#0f766e"), grid = color("--border", "#ddd"), text = color("--muted", "#666");
    document.querySelectorAll("[data-chart]").forEach(function (fig) {
      var key = fig.getAttribute("data-chart");
      var s = c.series.filter(function (x) { return x.key === key; })[0];
      var slot = fig.querySelector(".chart-plot");
      if (!s || !slot) return;
      slot.textContent = "";
      var width = Math.max(240, slot.clientWidth || fig.clientWidth || 600);
      var axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
      var opts = {
        width: width,
        height: width < 500 ? 140 : 170,
        legend: { show: true, live: true },
        cursor: { sync: { key: sync.key, setSeries: false }, drag: { x: false, y: false }, points: { size: 7 } },
        scales: { x: { time: false }, y: { dir: s.key === "pace" ? -1 : 1, range: fit } },
        axes: [
          Object.assign({ values: function (u, vals) { return vals.map(fmtX); } }, axis),
          Object.assign({ size: 56, values: function (u, vals) { return vals.map(function (v) { return s.key === "pace" ? clock(v) : v; }); } }, axis),
        ],
        series: [
          { label: xKey === "t" ? c.x_time : c.x_distance, value: function (u, v) { return v == null ? "–" : fmtX(v); } },
          { label: s.label, stroke: stroke, width: 1.5, fill: s.key === "elevation" ? color("--chart-fill", "rgba(15,118,110,.15)") : undefined,
            spanGaps: false, points: { show: false }, value: function (u, v) { return fmtY(s, v); } },
        ],
        hooks: { setCursor: [function (u) { moveMarker(u.cursor.idx); }] },
      };
      var p = new uPlot(opts, [xs, s.values], slot);
      slot.classList.add("is-live");
      plots.push(p);
    });
  }
  build();
  var toggle = document.querySelector("[data-xaxis]");
  if (toggle && c.d) {
    toggle.hidden = false;
    toggle.addEventListener("click", function (ev) {
      var b = ev.target.closest("[data-x]");
      if (!b) return;
      xKey = b.getAttribute("data-x");
      toggle.querySelectorAll("[data-x]").forEach(function (x) { x.classList.toggle("is-on", x === b); });
      build();
    });
  }
  var resizeTimer = null, lastWidth = document.documentElement.clientWidth;
  window.addEventListener("resize", function () {
    var w = document.documentElement.clientWidth;
    if (w === lastWidth) return;
    lastWidth = w;
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(build, 120);
  });
})();
