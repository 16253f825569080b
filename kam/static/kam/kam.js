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
  // .kam-wide tables: the cells of every column whose header is .kam-sticky stick, each one
  // right of the sticky columns before it (CSS cannot know their widths).
  function stickColumns(root) {
    root.querySelectorAll(".kam-wide > table").forEach(function (table) {
      var header = table.tHead && table.tHead.rows[0];
      if (!header) return;
      var left = 0, last = null;
      Array.prototype.forEach.call(header.cells, function (th, index) {
        if (!th.classList.contains("kam-sticky")) return;
        Array.prototype.forEach.call(table.rows, function (row) {
          var cell = row.cells[index];
          if (!cell || cell.colSpan > 1) return;
          cell.classList.add("kam-sticky");
          cell.style.left = left + "px";
        });
        left += th.getBoundingClientRect().width;
        last = index;
      });
      if (last === null) return;
      Array.prototype.forEach.call(table.rows, function (row) {
        var cell = row.cells[last];
        if (cell && cell.colSpan === 1) cell.classList.add("kam-sticky-last");
      });
    });
  }
  // SearchSelect (kam.core.forms): a found row clicked becomes the select's value.
  document.addEventListener("click", function (event) {
    var pick = event.target.closest("[data-pick]");
    var box = pick && pick.closest("[data-search-select]");
    if (!box) return;
    var select = box.querySelector("select");
    var option = Array.prototype.find.call(select.options, function (o) {
      return o.value === pick.getAttribute("data-pick");
    });
    if (!option) {
      option = new Option(pick.getAttribute("data-label"), pick.getAttribute("data-pick"));
      select.add(option);
    }
    select.value = option.value;
    select.dispatchEvent(new Event("change", { bubbles: true }));
    box.querySelector("input[type=search]").value = "";
    box.querySelector(".kam-search-results").replaceChildren();
  });
  document.addEventListener("DOMContentLoaded", function () { stickColumns(document); });
  window.addEventListener("resize", function () { stickColumns(document); });
  document.addEventListener("htmx:afterSwap", function (event) { stickColumns(event.target); });
})();
