// bincio athlete page: read the power curve under the pointer. The curve
// is server-drawn SVG; each sample is an invisible <circle class="svg-pt">
// with a <title>, shown here in a line under the chart (and by the
// browser's tooltip without this file).
(function () {
  "use strict";
  var wrap = document.querySelector("[data-curve]");
  var out = document.querySelector("[data-readout]");
  if (!wrap || !out) return;
  var last = null;
  function show(pt) {
    if (last) last.classList.remove("is-on");
    last = pt;
    pt.classList.add("is-on");
    var t = pt.querySelector("title");
    out.textContent = t ? t.textContent : "";
  }
  wrap.addEventListener("pointerover", function (ev) {
    var pt = ev.target.closest ? ev.target.closest(".svg-pt") : null;
    if (pt) show(pt);
  });
  wrap.addEventListener("click", function (ev) {
    var pt = ev.target.closest ? ev.target.closest(".svg-pt") : null;
    if (pt) show(pt);
  });
})();
