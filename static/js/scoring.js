/* parindex — the self-assessment scoring page (assessments/templates/assessments/scoring/).
 * Small helpers on top of server-rendered forms; the page reads and saves without them:
 *  - live preview of a ratio leaf's percent, band and points from its bands (data-bands="min:points;...");
 *  - fills each leaf's "attach an existing document" select from the one list of the assessment's
 *    documents (#assessment-documents), leaving out those already on the leaf (data-linked="id id");
 * Refused requests are shown by static/js/forms.js (every page). No external library. */
(function () {
  "use strict";

  function readNumber(text) {
    text = String(text || "").replace(/\s/g, "");
    if ((text.match(/,/g) || []).length === 1 && text.indexOf(".") < 0) text = text.replace(",", ".");
    return /^\d+(\.\d+)?$/.test(text) ? parseFloat(text) : null;
  }

  function vn(number) {  // 96.5 → "96,5" (Vietnamese decimal comma, at most 2 decimals)
    return String(Math.round(number * 100) / 100).replace(".", ",");
  }

  function ratioPreview(box) {
    var out = box.querySelector(".ratio-preview");
    var num = readNumber(box.querySelector("[name=numerator]").value);
    var den = readNumber(box.querySelector("[name=denominator]").value);
    if (!out) return;
    if (num === null || den === null) { out.textContent = ""; return; }
    if (den <= 0) { out.textContent = "Mẫu số phải lớn hơn 0."; return; }
    if (num > den) { out.textContent = "Tử số không được lớn hơn mẫu số."; return; }
    var percent = Math.round(num * 100 / den * 1e6) / 1e6;  // bands compare on the exact percent
    var bands = (box.dataset.bands || "").split(";").filter(Boolean).map(function (part) {
      var pair = part.split(":");
      return { min: parseFloat(pair[0]), points: parseFloat(pair[1]) };
    });
    for (var i = 0; i < bands.length; i++) {
      if (percent >= bands[i].min) {
        var label = i === 0 ? "≥ " + vn(bands[i].min) + "%" :
          (bands[i].min === 0 ? "< " : vn(bands[i].min) + "–<") + vn(bands[i - 1].min) + "%";
        out.textContent = "Tỷ lệ " + vn(percent) + "% → mức " + label + ": " + vn(bands[i].points) + " điểm";
        return;
      }
    }
    out.textContent = "Tỷ lệ " + vn(percent) + "%";
  }

  document.addEventListener("input", function (event) {
    var box = event.target.closest && event.target.closest(".ratio-box");
    if (box) ratioPreview(box);
  });

  function fillChoices(select) {
    var source = document.querySelector("#assessment-documents select");
    if (!source) return;
    var linked = (select.dataset.linked || "").split(" ");
    var chosen = select.value;
    while (select.options.length > 1) select.remove(1);
    Array.prototype.forEach.call(source.options, function (option) {
      if (linked.indexOf(option.value) < 0) {
        select.add(new Option(option.text, option.value, false, option.value === chosen));
      }
    });
    select.options[0].text = select.options.length > 1 ?
      "— Gắn tài liệu đã tải lên của đơn vị —" : "— Chưa có tài liệu nào khác để gắn —";
  }

  ["focusin", "pointerdown"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var select = event.target.closest && event.target.closest("select.evidence-choices");
      if (select) fillChoices(select);
    }, true);
  });
})();
