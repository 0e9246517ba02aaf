// The workspaces' keyboard (judging, clip review, adjudication), loaded before the
// page's own script. Keys are handled at the document level whatever has the focus,
// except in text fields: after the scrub slider, the speed menu, the loop box or a
// button was used, the next key still acts on the workspace (the control is left and
// its own use of the key prevented: ArrowRight does not nudge the slider). `?` shows
// the keys, drawn from the same map the handler uses; a question asked with ask()
// takes Enter or Esc.
window.Keys = (function () {
  const NOT_TEXT = ["range", "checkbox", "radio", "button", "submit", "reset", "color", "file", "image"];
  function isText(el) {
    if (el.isContentEditable || el.matches("textarea")) return true;
    return el.matches("input") && !NOT_TEXT.includes(el.type);
  }
  // Controls that would take a workspace key for themselves.
  function isControl(el) { return el.matches("input, select, button, video, summary"); }

  let entries = [];
  let question = null;

  function box(id, className, tag) {
    let el = document.getElementById(id);
    if (!el) {
      el = document.createElement(tag || "div");
      el.id = id;
      el.className = className;
      document.body.appendChild(el);
    }
    return el;
  }
  function kbd(text) {
    const el = document.createElement("kbd");
    el.textContent = text;
    return el;
  }

  // The overlay: one row per entry, in the map's order.
  function help() {
    const dialog = box("keys-help", "keys-help", "dialog");
    dialog.replaceChildren();
    const title = document.createElement("h2");
    title.className = "h6";
    title.textContent = gettext("Keys of this workspace");
    const table = document.createElement("table");
    table.className = "table table-sm small mb-2";
    entries.concat([{ label: "?", does: gettext("this list (Esc closes it)") }]).forEach(function (entry) {
      const row = table.insertRow();
      row.insertCell().appendChild(kbd(entry.label || entry.keys[0]));
      row.insertCell().textContent = entry.does;
    });
    const close = document.createElement("button");
    close.type = "button";
    close.className = "btn btn-sm btn-outline-secondary";
    close.textContent = gettext("close (Esc)");
    close.addEventListener("click", function () { dialog.close(); });
    dialog.append(title, table, close);
    dialog.showModal();
  }
  function helpOpen() { const d = document.getElementById("keys-help"); return Boolean(d && d.open); }

  // A question the next key answers: Enter does it, Esc does not.
  function ask(text, yes) {
    const prompt = box("key-prompt", "key-prompt alert alert-primary shadow py-2 px-3");
    prompt.setAttribute("role", "alertdialog");
    prompt.replaceChildren();
    const words = document.createElement("span");
    words.textContent = text + " ";
    const ok = document.createElement("button");
    ok.type = "button";
    ok.className = "btn btn-sm btn-primary ms-2";
    ok.append(kbd("Enter"), " " + gettext("confirm"));
    const no = document.createElement("button");
    no.type = "button";
    no.className = "btn btn-sm btn-outline-secondary ms-1";
    no.append(kbd("Esc"), " " + gettext("cancel"));
    prompt.append(words, ok, no);
    prompt.hidden = false;
    question = yes;
    ok.addEventListener("click", function () { answer(true); });
    no.addEventListener("click", function () { answer(false); });
  }
  function answer(yes) {
    const then = question;
    question = null;
    document.getElementById("key-prompt").hidden = true;
    if (yes && then) then();
  }

  function entryFor(key) {
    return entries.find(function (entry) {
      return entry.keys.includes(key) && (!entry.when || entry.when());
    });
  }

  document.addEventListener("keydown", function (e) {
    if (!entries.length || e.ctrlKey || e.metaKey || e.altKey) return;
    if (question) {
      e.preventDefault();
      if (e.key === "Enter") answer(true);
      else if (e.key === "Escape") answer(false);
      return;
    }
    if (helpOpen()) {
      if (e.key === "?" || e.key === "Escape") { e.preventDefault(); document.getElementById("keys-help").close(); }
      return;
    }
    if (isText(e.target)) {
      if (e.key === "Escape") e.target.blur();
      return;
    }
    const entry = e.key === "?" ? { run: help } : entryFor(e.key);
    if (!entry) return;
    e.preventDefault();
    if (e.target !== document.body && isControl(e.target)) e.target.blur();
    entry.run(e);
  });

  // The page's short line of keys (their `brief` words; [data-keys-summary], drawn
  // again after htmx swaps one in).
  function summarise() {
    const brief = entries.filter(function (entry) { return entry.brief; });
    document.querySelectorAll("[data-keys-summary]").forEach(function (el) {
      el.textContent = gettext("Keys:") + " " + brief.map(function (entry) {
        return (entry.label || entry.keys[0]) + " " + entry.brief;
      }).concat([gettext("? all keys.")]).join(" · ");
    });
  }
  document.addEventListener("htmx:afterSettle", summarise);

  // Entries for the radios and checkboxes under `selector` that carry a key
  // (data-key): the key picks the radio, or ticks and unticks the box; each is
  // described by its label. Inputs swapped in later are found by their key.
  function inputs(selector, what, when) {
    return Array.from(document.querySelectorAll(selector + " input[data-key]")).filter(function (input) {
      return input.dataset.key;
    }).map(function (input) {
      const key = input.dataset.key;
      const label = document.querySelector('label[for="' + input.id + '"]').cloneNode(true);
      label.querySelectorAll("kbd").forEach(function (k) { k.remove(); });
      return {
        keys: [key], label: key, does: what + ": " + label.textContent.trim(), when: when,
        run: function () {
          const current = document.querySelector(selector + ' input[data-key="' + key + '"]');
          if (current) current.checked = current.type === "radio" ? true : !current.checked;
        },
      };
    });
  }

  // A workspace's keys: entries of {keys: [...e.key values], label, does, run(event),
  // when() (optional: the entry stands only while it says so), brief (optional: its
  // words in the page's short line)}.
  function workspace(map) {
    entries = map;
    summarise();
  }

  return { workspace: workspace, inputs: inputs, ask: ask };
})();
