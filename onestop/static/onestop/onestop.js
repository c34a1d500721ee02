/* One-stop desk, keyboard first. No dependencies besides htmx (loaded by base.html).
 *
 * - The reception check: a tick per document; the count of ticked documents; "add the unticked documents to
 *   the request to supplement" fills its lines.
 * - The request to supplement: "add a line" clones the last line; choosing a checklist document's name fills
 *   its kind and count.
 * - Ctrl+Enter in a text area submits its form (Enter alone writes a new line).
 * - A form that came back with errors is scrolled to and its first faulty field gets the focus.
 */
(function () {
  "use strict";

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }

  function checks() { return $all("input.doc-check"); }

  function updateSummary() {
    var box = $("#check-summary");
    if (!box) return;
    var all = checks(), done = all.filter(function (c) { return c.checked; }).length;
    box.textContent = box.dataset.template.replace("{done}", done).replace("{total}", all.length);
    all.forEach(function (c) { c.closest("tr").classList.toggle("checked", c.checked); });
  }

  function lineRows() { return $all("#supplement-lines tbody tr"); }

  function renumber(row, index) {
    $all("input, select", row).forEach(function (el) {
      el.name = el.name.replace(/lines-\d+-/, "lines-" + index + "-");
      if (el.id) el.id = el.id.replace(/lines-\d+-/, "lines-" + index + "-");
    });
  }

  function addLine(values) {
    var rows = lineRows();
    if (!rows.length) return null;
    var empty = rows.filter(function (r) {
      return !$("input[name$=-name]", r).value.trim() && !$("input[name$=-reason]", r).value.trim();
    })[0];
    var row = empty;
    if (!row) {
      row = rows[rows.length - 1].cloneNode(true);
      renumber(row, rows.length);
      $all("input", row).forEach(function (el) { el.value = el.name.match(/-count$/) ? "1" : ""; });
      rows[rows.length - 1].parentNode.appendChild(row);
    }
    if (values) {
      $("input[name$=-name]", row).value = values.name || "";
      if (values.kind) $("select[name$=-kind]", row).value = values.kind;
      $("input[name$=-count]", row).value = values.count || "1";
      $("input[name$=-reason]", row).value = values.reason || "";
    }
    return row;
  }

  function fillFromChecklist(input) {
    var name = input.value.trim();
    var match = checks().filter(function (c) { return c.dataset.name === name; })[0];
    if (!match) return;
    var row = input.closest("tr");
    $("select[name$=-kind]", row).value = match.dataset.kind;
    var count = $("input[name$=-count]", row);
    if (!count.value || count.value === "1") count.value = match.dataset.count;
  }

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.classList && el.classList.contains("doc-check")) updateSummary();
    if (el.name && /lines-\d+-name$/.test(el.name)) fillFromChecklist(el);
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-add-line]");
    if (button) {
      event.preventDefault();
      var row = addLine(null);
      if (row) $("input[name$=-name]", row).focus();
      return;
    }
    button = event.target.closest && event.target.closest("[data-unticked-to-supplement]");
    if (button) {
      event.preventDefault();
      var reason = button.dataset.reason || "";
      var first = null;
      checks().filter(function (c) { return !c.checked; }).forEach(function (c) {
        var already = lineRows().some(function (r) { return $("input[name$=-name]", r).value.trim() === c.dataset.name; });
        if (already) return;
        var row = addLine({ name: c.dataset.name, kind: c.dataset.kind, count: c.dataset.count, reason: reason });
        first = first || row;
      });
      var form = $("#act-supplement");
      if (form) form.scrollIntoView({ block: "start" });
      if (first) $("input[name$=-reason]", first).focus();
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.tagName === "TEXTAREA") {
      event.preventDefault();
      var form = event.target.form;
      if (form) { if (form.requestSubmit) form.requestSubmit(); else form.submit(); }
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    updateSummary();
    var faulty = $("form.action.has-errors");
    if (faulty) {
      faulty.scrollIntoView({ block: "start" });
      var field = $(".has-error input, .has-error select, .has-error textarea", faulty) ||
                  $("input:not([type=hidden]), select, textarea, button", faulty);
      if (field) field.focus();
    }
  });
})();
