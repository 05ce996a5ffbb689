/* parindex — confirmation before irreversible steps (issue 12 item 5), loaded on every page (templates/base.html).
 *
 * A form (or its submit button) with data-confirm="…what will happen and who will be told…" asks first, in a
 * native <dialog> with the buttons "Hủy" (the default: Esc or a stray Enter cancels) and "Xác nhận"; the form is
 * sent only on "Xác nhận". HTMX requests ask the same way: an element with hx-confirm or inside a
 * [data-confirm] form goes through the htmx:confirm event.
 * While the request is in flight the form's buttons are disabled (a double click sends it once; the server
 * answers a second send, from a stale tab for instance, with its own "already done" message).
 * Without JavaScript the forms post directly and the server's checks still apply. No external library.
 */
(function () {
  "use strict";

  var dialog = null;
  var pending = null;

  function build() {
    dialog = document.createElement("dialog");
    dialog.id = "confirm-dialog";
    dialog.className = "confirm-dialog border-0 rounded-3 shadow p-0";
    dialog.setAttribute("aria-labelledby", "confirm-dialog-title");
    dialog.setAttribute("aria-describedby", "confirm-dialog-message");
    dialog.style.maxWidth = "min(32rem, calc(100vw - 2rem))";
    dialog.innerHTML =
      '<form method="dialog" class="p-3">' +
      '<h2 class="h5 mb-2" id="confirm-dialog-title">Xác nhận thao tác</h2>' +
      '<p class="mb-3" id="confirm-dialog-message"></p>' +
      '<div class="d-flex justify-content-end gap-2">' +
      '<button type="submit" value="cancel" class="btn btn-outline-secondary" id="confirm-cancel">Hủy</button>' +
      '<button type="submit" value="ok" class="btn btn-primary" id="confirm-ok">Xác nhận</button>' +
      "</div></form>";
    var style = document.createElement("style");  // kept here: no stylesheet needs to know about the dialog
    style.textContent = "#confirm-dialog::backdrop{background:rgba(0,0,0,.45)}";
    document.head.appendChild(style);
    document.body.appendChild(dialog);
    dialog.addEventListener("close", function () {
      var done = pending;
      pending = null;
      if (done) done(dialog.returnValue === "ok");
    });
  }

  /* Ask ``message``; ``done(true)`` on "Xác nhận", ``done(false)`` on "Hủy" or Esc. */
  function ask(message, done) {
    if (typeof HTMLDialogElement !== "function") {  // very old browsers: the browser's own box
      done(window.confirm(message));
      return;
    }
    if (!dialog) build();
    if (dialog.open) return;
    dialog.querySelector("#confirm-dialog-message").textContent = message;
    dialog.returnValue = "";
    pending = done;
    dialog.showModal();
    dialog.querySelector("#confirm-cancel").focus();
  }

  function buttons(form) {
    return Array.prototype.slice.call(form.querySelectorAll("button, input[type=submit]"))
      .concat(form.id ? Array.prototype.slice.call(document.querySelectorAll('[form="' + form.id + '"]')) : []);
  }

  function busy(form, on) {
    buttons(form).forEach(function (b) {
      if (on) {
        if (!b.disabled) { b.disabled = true; b.dataset.confirmDisabled = "1"; }
      } else if (b.dataset.confirmDisabled) {
        b.disabled = false;
        delete b.dataset.confirmDisabled;
      }
    });
    form.toggleAttribute("aria-busy", on);
  }

  function messageOf(form, submitter) {
    return (submitter && submitter.dataset && submitter.dataset.confirm) || form.dataset.confirm || "";
  }

  // Plain forms (HTMX forms are handled below: htmx prevents their default before this listener runs).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !(form instanceof HTMLFormElement) || form.method === "dialog") return;
    var message = messageOf(form, event.submitter);
    if (!message && !form.hasAttribute("data-once")) return;
    if (form.dataset.sending === "1") {  // a second click while the first is on its way: nothing more is sent
      event.preventDefault();
      return;
    }
    if (message && form.dataset.confirmed !== "1") {
      event.preventDefault();
      var submitter = event.submitter;
      ask(message, function (ok) {
        if (!ok) return;
        form.dataset.confirmed = "1";
        if (submitter && form.requestSubmit) form.requestSubmit(submitter); else form.submit();
      });
      return;
    }
    delete form.dataset.confirmed;
    form.dataset.sending = "1";
    // after the browser has read the form (a disabled submitter would drop its name/value)
    window.setTimeout(function () { busy(form, true); }, 0);
  });

  // Back to a page from the browser's cache: its forms may be sent again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-sending]").forEach(function (form) {
      delete form.dataset.sending;
      busy(form, false);
    });
  });

  // HTMX: hx-confirm="…" or a [data-confirm] form asks in the same dialog.
  document.addEventListener("htmx:confirm", function (event) {
    var elt = event.detail.elt;
    var holder = elt.closest ? elt.closest("[data-confirm]") : null;
    var message = event.detail.question || (holder ? holder.dataset.confirm : "");
    if (!message) return;
    event.preventDefault();
    ask(message, function (ok) { if (ok) event.detail.issueRequest(true); });
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt.closest ? event.detail.elt.closest("form[data-confirm], form[data-once]") : null;
    if (form) busy(form, true);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt.closest ? event.detail.elt.closest("form[data-confirm], form[data-once]") : null;
    if (form) busy(form, false);
  });
})();
