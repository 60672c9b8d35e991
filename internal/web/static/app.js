// Atrium settings: progressive enhancement only. Every form works without this file; it
// adds copy buttons, auto-saving switches, <dialog> confirmations, inline edit toggles,
// client-side "Add row" and the member picker's type-ahead. Loaded synchronously in <head>
// so the "js" class is set before the first paint and nothing shifts.
"use strict";

document.documentElement.classList.add("js");

(function () {
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "visually-hidden";
      document.body.appendChild(area);
      area.select();
      var ok = document.execCommand("copy");
      area.remove();
      if (ok) { resolve(); } else { reject(new Error("copy failed")); }
    });
  }

  // flash shows a short result on a copy button; its first text node is its label.
  function flash(button, text, cls) {
    button.firstChild.textContent = text;
    button.classList.add(cls);
    window.setTimeout(function () {
      button.firstChild.textContent = button.dataset.label;
      button.classList.remove(cls);
    }, 1600);
  }

  function initCopy(root) {
    root.querySelectorAll("[data-copy]").forEach(function (button) {
      button.dataset.label = button.firstChild.textContent;
      button.addEventListener("click", function () {
        var target = document.getElementById(button.dataset.copy);
        if (!target) { return; }
        var text = target.value !== undefined ? target.value : target.textContent;
        copyText(text.replace(/\n$/, "")).then(
          function () { flash(button, "Copied", "is-copied"); },
          function () { flash(button, "Press Ctrl+C", "is-error"); });
      });
    });
  }

  // Switch forms save on every change; the Save button is hidden when scripts run.
  function initAutosave(root) {
    root.querySelectorAll("form[data-autosave]").forEach(function (form) {
      var status = form.querySelector("[data-save-status]");
      var pending = null;
      function say(text, isError) {
        if (!status) { return; }
        status.textContent = text;
        status.classList.toggle("is-error", !!isError);
      }
      function save() {
        say("Saving…");
        var body = new URLSearchParams(new FormData(form));
        fetch(form.action, { method: "POST", body: body, credentials: "same-origin" })
          .then(function (res) {
            var back = new URL(res.url).pathname === window.location.pathname;
            if (res.ok && res.redirected && back) {
              say("Saved");
            } else {
              say("Not saved. Reload the page and try again.", true);
            }
          })
          .catch(function () { say("Not saved: the server could not be reached.", true); });
      }
      form.addEventListener("change", function () {
        window.clearTimeout(pending);
        pending = window.setTimeout(save, 250);
      });
    });
  }

  function initDialogs(root) {
    root.querySelectorAll("[data-dialog]").forEach(function (link) {
      var dialog = document.getElementById(link.dataset.dialog);
      if (!dialog || typeof dialog.showModal !== "function") { return; }
      link.addEventListener("click", function (event) {
        event.preventDefault();
        dialog.showModal();
        var cancel = dialog.querySelector("[data-close]");
        if (cancel) { cancel.focus(); }
      });
    });
    root.querySelectorAll("dialog [data-close]").forEach(function (button) {
      button.addEventListener("click", function () { button.closest("dialog").close(); });
    });
  }

  function initInlineEdit(root) {
    root.querySelectorAll("[data-inline-edit]").forEach(function (box) {
      var view = box.querySelector(".inline-view");
      var form = box.querySelector("form");
      if (!view || !form) { return; }
      var input = form.querySelector("input:not([type=hidden])");
      function open(yes) {
        view.hidden = yes;
        form.hidden = !yes;
        if (yes && input) { input.focus(); input.select(); }
      }
      var opener = box.querySelector("[data-edit-open]");
      var cancel = box.querySelector("[data-edit-cancel]");
      if (opener) {
        opener.addEventListener("click", function (e) { e.preventDefault(); open(true); });
      }
      if (cancel) {
        cancel.addEventListener("click", function (e) {
          e.preventDefault();
          if (input) { input.value = input.defaultValue; }
          open(false);
          if (opener) { opener.focus(); }
        });
      }
      form.addEventListener("keydown", function (e) {
        if (e.key === "Escape" && cancel) { cancel.click(); }
      });
    });
  }

  // "Add row" copies the row <template>, numbering its inputs after the highest row.
  function initAddRow(root) {
    root.querySelectorAll("[data-add-row]").forEach(function (button) {
      var name = button.dataset.addRow;
      var form = button.closest("form");
      var body = form.querySelector('[data-rows="' + name + '"]');
      var tmpl = form.querySelector('template[data-row-template="' + name + '"]');
      if (!body || !tmpl) { return; }
      button.addEventListener("click", function () {
        var next = parseInt(button.dataset.next, 10);
        button.dataset.next = String(next + 1);
        var row = tmpl.content.firstElementChild.cloneNode(true);
        row.querySelectorAll("[name]").forEach(function (el) {
          el.name = el.name.replace("__i__", String(next));
        });
        body.appendChild(row);
        var first = row.querySelector("input:not([type=hidden]):not([type=checkbox])");
        if (first) { first.focus(); }
      });
    });
  }

  // Type-ahead for the member picker: hides the listed people who do not match as you type
  // (ticked ones stay). The Search button still asks the server, which looks at everyone.
  function initFilter(root) {
    root.querySelectorAll("input[data-filter]").forEach(function (input) {
      var list = document.getElementById(input.dataset.filter);
      if (!list) { return; }
      var empty = list.parentElement.querySelector("[data-filter-empty]");
      var items = list.querySelectorAll("li[data-text]");
      input.addEventListener("input", function () {
        var q = input.value.trim().toLowerCase();
        var shown = 0;
        items.forEach(function (li) {
          var hit = q === "" || li.dataset.text.toLowerCase().indexOf(q) !== -1;
          li.hidden = !hit && !li.querySelector("input:checked");
          if (!li.hidden) { shown++; }
        });
        list.hidden = shown === 0;
        if (empty) { empty.hidden = shown > 0; }
      });
    });
  }

  // A form marked data-reveal-submit shows its submit button (hidden by the stylesheet when
  // scripts run) once a field changes.
  function initReveal(root) {
    root.querySelectorAll("form[data-reveal-submit]").forEach(function (form) {
      form.addEventListener("change", function () { form.classList.add("is-dirty"); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    initCopy(document);
    initAutosave(document);
    initDialogs(document);
    initInlineEdit(document);
    initAddRow(document);
    initFilter(document);
    initReveal(document);
  });
})();
