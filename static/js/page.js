/* parindex — small page behaviours declared in the markup, so that no template needs an inline script or an
 * inline event handler (the Content-Security-Policy allows scripts from the portal's own files only: README
 * "Deployment"). Loaded on every page by templates/base.html and templates/print/base.html.
 *   <select data-autosubmit> (or any form control): its form is sent when the value changes; a <noscript>
 *     button beside it sends the form without JavaScript.
 *   <button data-print>: opens the browser's print dialog.
 * No external library. */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var control = event.target;
    if (!control || !control.hasAttribute || !control.hasAttribute("data-autosubmit") || !control.form) return;
    if (control.form.requestSubmit) control.form.requestSubmit(); else control.form.submit();
  });

  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest ? event.target.closest("[data-print]") : null;
    if (!button) return;
    event.preventDefault();
    window.print();
  });
})();
