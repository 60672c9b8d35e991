// Atrium settings: progressive enhancement only. Every form works without this file; it
// adds copy buttons, auto-saving switches, <dialog> confirmations, inline edit toggles,
// client-side "Add row", the member picker's type-ahead, and the vault editor's error line
// and file import. Loaded synchronously in <head> so the "js" class is set before the
// first paint and nothing shifts.
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

  // A select marked data-autosubmit presses the named button when it changes: changing a
  // picker's type lists that type's objects at once (the button does it without scripts).
  function initAutosubmit(root) {
    root.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      var button = document.getElementById(select.dataset.autosubmit);
      if (!button) { return; }
      select.addEventListener("change", function () { button.click(); });
    });
  }

  // A form marked data-reveal-submit shows its submit button (hidden by the stylesheet when
  // scripts run) once a field changes.
  function initReveal(root) {
    root.querySelectorAll("form[data-reveal-submit]").forEach(function (form) {
      form.addEventListener("change", function () { form.classList.add("is-dirty"); });
    });
  }

  // gotoLine selects line (1-based) of a textarea and scrolls it into the textarea's view.
  function gotoLine(area, line, column, focus) {
    var lines = area.value.split("\n");
    if (line < 1 || line > lines.length) { return; }
    var start = 0;
    for (var i = 0; i < line - 1; i++) { start += lines[i].length + 1; }
    var end = start + lines[line - 1].length;
    var at = Math.min(start + Math.max(column - 1, 0), end);
    if (focus) { area.focus({ preventScroll: true }); }
    area.setSelectionRange(start, end === start ? at : end);
    var height = parseFloat(window.getComputedStyle(area).lineHeight) || 18;
    area.scrollTop = Math.max(0, (line - 4) * height);
  }

  // A vault editor refused with a line and column shows that line selected; "Go to line"
  // puts the cursor there again.
  function initEditorErrors(root) {
    root.querySelectorAll("textarea[data-error-line]").forEach(function (area) {
      var line = parseInt(area.dataset.errorLine, 10);
      var column = parseInt(area.dataset.errorColumn, 10) || 1;
      gotoLine(area, line, column, true);
      var button = root.querySelector('[data-goto-line="' + area.id + '"]');
      if (button) {
        button.addEventListener("click", function () { gotoLine(area, line, column, true); });
      }
    });
  }

  // Importing a file reads it into the editor at once, sets the format from its extension
  // and clears the file input, so only the editor's text is sent. Without scripts the
  // server does the same when the form is sent.
  function initImport(root) {
    var formats = { json: "json", yaml: "yaml", yml: "yaml", conf: "hocon", hocon: "hocon" };
    root.querySelectorAll("input[type=file][data-import]").forEach(function (input) {
      var area = document.getElementById(input.dataset.import);
      var form = input.closest("form");
      var status = form && form.querySelector("[data-import-status]");
      var format = form && form.querySelector("select[name=format]");
      if (!area || !window.FileReader) { return; }
      function say(text, isError) {
        if (!status) { return; }
        status.textContent = text;
        status.classList.toggle("field-error", !!isError);
      }
      input.addEventListener("change", function () {
        var file = input.files && input.files[0];
        if (!file) { return; }
        if (file.size > 1048576) {
          say("The file is larger than 1 MiB.", true);
          input.value = "";
          return;
        }
        var reader = new FileReader();
        reader.onload = function () {
          area.value = String(reader.result).replace(/\r\n/g, "\n");
          var ext = file.name.split(".").pop().toLowerCase();
          if (format && formats[ext]) { format.value = formats[ext]; }
          input.value = "";
          say("Loaded " + file.name + " into the editor. Review it, then save.", false);
          area.focus();
        };
        reader.onerror = function () { say("The file could not be read.", true); };
        reader.readAsText(file);
      });
    });
  }

  // An open row menu closes on a click elsewhere and on Escape.
  function initMenus(root) {
    var menus = root.querySelectorAll("details.menu");
    if (menus.length === 0) { return; }
    document.addEventListener("click", function (e) {
      menus.forEach(function (m) { if (m.open && !m.contains(e.target)) { m.open = false; } });
    });
    document.addEventListener("keydown", function (e) {
      if (e.key !== "Escape") { return; }
      menus.forEach(function (m) {
        if (m.open) { m.open = false; m.querySelector("summary").focus(); }
      });
    });
    menus.forEach(function (m) {
      m.querySelectorAll("[data-dialog]").forEach(function (link) {
        link.addEventListener("click", function () { m.open = false; });
      });
    });
  }

  // A switch in a table row dims the row when off, as the server draws it.
  function initRowSwitches(root) {
    root.querySelectorAll("tr form[data-autosave] input.switch").forEach(function (sw) {
      sw.addEventListener("change", function () {
        sw.closest("tr").classList.toggle("row-off", !sw.checked);
      });
    });
  }

  // A form marked data-autosubmit-form is sent as soon as the page loads: the hop that
  // carries an identity provider's answer back to this site with its cookies.
  function initAutosubmitForm(root) {
    var form = root.querySelector("form[data-autosubmit-form]");
    if (form) { form.submit(); }
  }

  // A destructive form that asks for a name keeps its confirm button off until the name
  // is typed exactly; the server checks it again. Opening its dialog puts the cursor there.
  function initConfirmName(root) {
    root.querySelectorAll("input[data-confirm-name]").forEach(function (input) {
      var form = input.closest("form");
      var button = form && form.querySelector("[data-confirm]");
      if (!button) { return; }
      function check() { button.disabled = input.value.trim() !== input.dataset.confirmName; }
      input.addEventListener("input", check);
      check();
      var dialog = input.closest("dialog");
      if (!dialog) { return; }
      root.querySelectorAll('[data-dialog="' + dialog.id + '"]').forEach(function (link) {
        link.addEventListener("click", function () {
          input.value = "";
          check();
          input.focus();
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    initAutosubmitForm(document);
    initCopy(document);
    initAutosave(document);
    initDialogs(document);
    initInlineEdit(document);
    initAddRow(document);
    initFilter(document);
    initAutosubmit(document);
    initReveal(document);
    initEditorErrors(document);
    initImport(document);
    initRowSwitches(document);
    initMenus(document);
    initConfirmName(document);
  });
})();
