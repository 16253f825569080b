/* Page behaviour that would otherwise sit in inline handlers, which the Content-Security-Policy
   forbids: every script comes from a file. */
(function () {
  // <form data-confirm="Delete this contact?">: ask before it is sent.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });
  // <select data-autosubmit>: choosing an option sends its form.
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-autosubmit]")) event.target.form.submit();
  });
})();
