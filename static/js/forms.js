/* parindex — one handler for the replies of every HTMX form of the portal (issue 12 §3).
 *  - 400 / 409 / 422 with a body: the server re-rendered the card, cell or row with its Vietnamese message
 *    next to the field and the stored value in the control; swap it in like a success (htmx 2 does not
 *    swap 4xx replies by default).
 *  - any other refusal (403, 404, 413, 429, 5xx) or no connection: a Vietnamese message next to the form
 *    that was submitted, removed at its next request. Nothing was saved in these cases.
 * Loaded on every page by templates/base.html, after htmx. No external library. */
(function () {
  "use strict";

  var SWAP = [400, 409, 422];

  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (SWAP.indexOf(xhr.status) >= 0 && (xhr.responseText || "").trim()) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  function anchor(elt) {
    if (!elt || !elt.closest) return null;
    return elt.closest("form") || elt;
  }

  function problemBox(elt, create) {
    var at = anchor(elt);
    if (!at || !at.parentNode) return null;
    var next = at.nextElementSibling;
    if (next && next.classList.contains("request-problem")) return next;
    if (!create) return null;
    var box = document.createElement("div");
    box.className = "alert alert-danger py-1 px-2 my-1 small request-problem";
    box.setAttribute("role", "alert");
    at.parentNode.insertBefore(box, at.nextSibling);
    return box;
  }

  function message(status) {
    if (status === 403) return "Bạn không có quyền thực hiện thao tác này; chưa có gì được lưu.";
    if (status === 404) return "Không tìm thấy mục này (có thể vừa bị xóa); hãy tải lại trang. Chưa có gì được lưu.";
    if (status === 413) return "Tệp hoặc dữ liệu gửi lên quá lớn; chưa có gì được lưu.";
    if (status === 429) return "Bạn gửi quá nhiều yêu cầu; hãy đợi một lát rồi thử lại. Chưa có gì được lưu.";
    if (status >= 400 && status < 500) return "Yêu cầu không được chấp nhận (mã " + status + "); hãy tải lại trang. " +
      "Chưa có gì được lưu.";
    return "Máy chủ gặp lỗi (mã " + status + "); chưa có gì được lưu. Hãy thử lại.";
  }

  function show(elt, text) {
    var box = problemBox(elt, true);
    if (box) box.textContent = text; else window.alert(text);
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var box = problemBox(event.detail.elt, false);
    if (box) box.remove();
  });

  document.addEventListener("htmx:responseError", function (event) {
    show(event.detail.elt, message(event.detail.xhr.status));
  });

  document.addEventListener("htmx:sendError", function (event) {
    show(event.detail.elt, "Không kết nối được máy chủ; chưa có gì được lưu. Kiểm tra mạng rồi thử lại.");
  });

  document.addEventListener("htmx:timeout", function (event) {
    show(event.detail.elt, "Máy chủ không trả lời kịp; chưa chắc đã lưu. Hãy tải lại trang để xem giá trị hiện tại.");
  });
})();
