/* Counter intake: keyboard first. No dependencies besides htmx (loaded by base.html).
 *
 * - Search boxes with [data-combobox=<hidden field name>]: htmx fills their listbox; ArrowUp/ArrowDown move,
 *   Enter (or a click) chooses, Escape closes. Choosing writes the hidden field and refreshes what depends on it.
 * - Keys 1/2/3 choose the service when the focus is not in a text field.
 * - [data-enter-next]: Enter moves on instead of submitting (scanned ids); in the checklist (="count") to the next
 *   document's count, after the last one to the applicant's name.
 * - The submit button is disabled while the form holds a [data-block-submit] box (refusal, missing documents).
 */
(function () {
  "use strict";

  var form;

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }

  function isTextEntry(el) {
    if (!el) return false;
    if (el.isContentEditable || el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
    if (el.tagName !== "INPUT") return false;
    return ["radio", "checkbox", "button", "submit", "reset"].indexOf(el.type) < 0;
  }

  function focusables() {
    return $all("input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled]), " +
                "button:not([disabled]), a[href]", form)
      .filter(function (el) { return el.offsetParent !== null && el.tabIndex >= 0; });
  }

  function focusNext(el) {
    var list = focusables();
    var i = list.indexOf(el);
    if (i >= 0 && i + 1 < list.length) list[i + 1].focus();
  }

  /* Enter in a checklist count: the next document's count, then the applicant (the kinds are reached by Tab). */
  function nextCount(el) {
    var counts = $all("input.count", form).filter(function (c) { return c.offsetParent !== null; });
    var i = counts.indexOf(el);
    var target = i >= 0 && i + 1 < counts.length ? counts[i + 1] : $("#id_applicant_name");
    if (target) target.focus();
  }

  function refresh(selector) {
    var el = $(selector);
    if (el && window.htmx) window.htmx.trigger(el, "refresh");
  }

  function updateSubmit() {
    var button = $("#intake-submit");
    if (!button) return;
    var blocked = !!$("[data-block-submit]", form);
    button.disabled = blocked;
    var hint = $("#submit-blocked");
    if (hint) hint.hidden = !blocked;
  }

  function setChoice(value) {
    form.dataset.choice = value;
    refresh("#procedure-panel");
    refresh("#quote");
  }

  /* --- Comboboxes ------------------------------------------------------------------------------ */

  function listboxOf(input) { return document.getElementById(input.getAttribute("aria-controls")); }

  function options(input) {
    var box = listboxOf(input);
    return box ? $all("[role=option]", box) : [];
  }

  function setActive(input, option) {
    options(input).forEach(function (o) { o.setAttribute("aria-selected", o === option ? "true" : "false"); });
    if (option) {
      input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function closeList(input) {
    var box = listboxOf(input);
    if (box) box.innerHTML = "";
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function choose(input, option) {
    var hidden = form.elements[input.dataset.combobox];
    input.value = option.dataset.label;
    closeList(input);
    hidden.value = option.dataset.value;
    afterChoose(input.dataset.comboboxThen, option.dataset.label);
  }

  function afterChoose(then, label) {
    if (then === "panel") {
      form.dataset.focusPanel = "1";
      refresh("#procedure-panel");
    } else if (then === "quote") {
      var chosen = $("#commune-chosen");
      if (chosen) chosen.textContent = (chosen.dataset.prefix || "✓ ") + label;
      refresh("#quote");
    }
  }

  function onComboKey(event) {
    var input = event.target;
    var list = options(input);
    var current = list.filter(function (o) { return o.getAttribute("aria-selected") === "true"; })[0];
    var i = list.indexOf(current);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!list.length) return;
      event.preventDefault();
      var next = event.key === "ArrowDown" ? Math.min(i + 1, list.length - 1) : Math.max(i - 1, 0);
      setActive(input, list[next]);
    } else if (event.key === "Enter") {
      event.preventDefault();  // never submits the whole form from a search box
      if (current || list.length) {
        choose(input, current || list[0]);
      } else if (input.value.trim()) {
        input.dataset.pendingEnter = "1";  // results not here yet: choose the first when they come
        window.htmx.trigger(input, "search");
      }
    } else if (event.key === "Escape") {
      closeList(input);
    }
  }

  /* --- Wiring ----------------------------------------------------------------------------------- */

  /* Access keys (Alt+letter) the same in every browser: Chromium on Linux, Firefox (Alt+Shift) and
   * synthetic keyboards differ, so the page handles them itself (and so the browser does not as well). */
  function onAccessKey(event) {
    if (!event.altKey || event.ctrlKey || event.metaKey || !event.key || event.key.length !== 1) return;
    var key = event.key.toLowerCase();
    var target = $all("[accesskey]").filter(function (el) {
      return el.getAttribute("accesskey").toLowerCase() === key && el.offsetParent !== null;
    })[0];
    if (!target) return;
    event.preventDefault();
    if (target.tagName === "BUTTON" || target.tagName === "A") {
      if (!target.disabled) target.click();
    } else {
      target.focus();
    }
  }

  function init() {
    document.addEventListener("keydown", onAccessKey);
    form = document.getElementById("intake-form");
    if (!form) return;

    var chosen = $("#commune-chosen");
    if (chosen) chosen.dataset.prefix = "✓ ";

    form.addEventListener("keydown", function (event) {
      var el = event.target;
      if (el.matches && el.matches("[data-combobox]")) return onComboKey(event);
      if (event.key === "Enter" && el.matches && el.matches("[data-enter-next]")) {
        event.preventDefault();
        el.dispatchEvent(new Event("change", { bubbles: true }));
        if (el.dataset.enterNext === "count") nextCount(el);
        else focusNext(el);
      } else if (event.key === "Enter" && el.id === "id_return_address_input") {
        event.preventDefault();
        $("#resolve-button").click();
      }
    });

    document.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      if (["1", "2", "3"].indexOf(event.key) < 0 || isTextEntry(document.activeElement)) return;
      var radio = form.querySelector("input[name=service_choice][value='" + event.key + "']");
      if (!radio) return;
      event.preventDefault();
      radio.checked = true;
      radio.focus();
      setChoice(event.key);
    });

    form.addEventListener("change", function (event) {
      var name = event.target.name;
      if (name === "service_choice") {
        setChoice(event.target.value);
      } else if (name === "applicant_kind") {
        var label = $("#id-number-label");
        if (label) label.textContent = label.dataset[event.target.value === "organisation" ? "organisation" : "person"];
      } else if (name === "weight_grams") {
        refresh("#quote");
      }
    });

    form.addEventListener("focusin", function (event) {
      if (event.target.matches && event.target.matches("[data-select-on-focus]")) event.target.select();
    });

    form.addEventListener("click", function (event) {
      var option = event.target.closest && event.target.closest("[role=option]");
      if (option) {
        var input = document.querySelector("[aria-controls='" + option.parentNode.id + "']");
        if (input) { choose(input, option); input.focus(); }
        return;
      }
      var pick = event.target.closest && event.target.closest("[data-pick-commune]");
      if (pick) {
        form.elements.return_commune.value = pick.dataset.pickCommune;
        var communeInput = $("#commune-q");
        communeInput.value = pick.dataset.label;
        var street = form.elements.return_street;
        if (street && !street.value.trim() && pick.dataset.street) street.value = pick.dataset.street;
        afterChoose("quote", pick.dataset.label);
        $all("[data-pick-commune]").forEach(function (b) { b.setAttribute("aria-pressed", b === pick ? "true" : "false"); });
      }
    });

    form.addEventListener("submit", function () {
      // The submission key already makes a second submit harmless; this only spares the round trip.
      var button = $("#intake-submit");
      window.setTimeout(function () { if (button) button.disabled = true; }, 0);
    });

    document.body.addEventListener("htmx:afterSwap", function (event) {
      var target = event.detail.target;
      var input = document.querySelector("[aria-controls='" + target.id + "'][data-combobox]");
      if (input) {
        var list = options(input);
        input.setAttribute("aria-expanded", list.length ? "true" : "false");
        setActive(input, list[0] || null);
        if (input.dataset.pendingEnter && list.length) {
          delete input.dataset.pendingEnter;
          choose(input, list[0]);
        }
      }
      if (target.id === "procedure-panel" && form.dataset.focusPanel) {
        delete form.dataset.focusPanel;
        // On to the counts, unless the clerk has already moved elsewhere (never steal the focus).
        var active = document.activeElement;
        if (active === $("#procedure-q") || active === document.body || !active) {
          var first = $("[data-first-count]", target);
          if (first && first.offsetParent !== null) first.focus();
          else focusNext($("#procedure-q"));
        }
      }
    });

    document.body.addEventListener("htmx:afterSettle", updateSubmit);
    window.addEventListener("pageshow", updateSubmit);  // back to a page whose button was disabled on submit

    var summary = $("#error-summary");
    if (summary) summary.focus();
    updateSubmit();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
