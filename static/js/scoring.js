/* parindex — the self-assessment scoring page (assessments/templates/assessments/scoring/).
 * Small helpers on top of server-rendered forms; the page reads and saves without them:
 *  - live preview of a ratio leaf's percent, band and points from its bands (data-bands="min:points;...");
 *  - fills each leaf's "attach an existing document" select from the one list of the assessment's
 *    documents (#assessment-documents), leaving out those already on the leaf (data-linked="id id");
 *  - a message in the card when an HTMX request is refused (403/404/500) or the server cannot be reached.
 * No external library. */
(function () {
  "use strict";

  function readNumber(text) {
    text = String(text || "").replace(/\s/g, "");
    if (text.indexOf(",") >= 0 && text.indexOf(".") < 0) text = text.replace(",", ".");
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

  function showProblem(elt, text) {
    var card = elt && elt.closest ? elt.closest(".leaf-card") : null;
    if (!card) { window.alert(text); return; }
    var box = card.querySelector(".request-problem");
    if (!box) {
      box = document.createElement("div");
      box.className = "alert alert-danger py-1 px-2 my-1 small request-problem";
      box.setAttribute("role", "alert");
      card.querySelector(".card-body").prepend(box);
    }
    box.textContent = text;
  }

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    var text = status === 403 ? "Bạn không có quyền thực hiện thao tác này; chưa có gì được lưu." :
      status === 404 ? "Không tìm thấy tiêu chí hoặc tài liệu (có thể vừa bị xóa); hãy tải lại trang." :
      status === 413 ? "Tệp quá lớn; chưa có gì được lưu." :
      "Máy chủ gặp lỗi (mã " + status + "); chưa có gì được lưu. Hãy thử lại.";
    showProblem(event.detail.elt, text);
  });

  document.addEventListener("htmx:sendError", function (event) {
    showProblem(event.detail.elt, "Không kết nối được máy chủ; chưa có gì được lưu. Kiểm tra mạng rồi thử lại.");
  });
})();
