// The judging workspace, on top of keys.js and player.js: all videos play, pause, scrub
// and step together; the keyboard moves between videos and criteria, gives verdicts and
// confirms drafts by dimension, video or task; every save says what it did.
(function () {
  const videos = Array.from(document.querySelectorAll("video.synced"));
  const lead = videos[0];
  const scrub = document.getElementById("scrub");
  const clock = document.getElementById("clock");
  if (!lead) return;
  const player = Player.controls(function () { return videos; });
  videos.forEach(function (v) { Watch.track(v, v.closest(".judging-card").dataset.video); });

  // Followers are pulled back to the lead when they drift.
  function keepInSync() {
    if (player.playing()) {
      videos.slice(1).forEach(function (v) {
        if (Math.abs(v.currentTime - lead.currentTime) > 0.05) v.currentTime = lead.currentTime;
      });
    }
    if (lead.duration) {
      scrub.value = Math.round((1000 * lead.currentTime) / lead.duration);
      clock.textContent = lead.currentTime.toFixed(2) + " s";
    }
    requestAnimationFrame(keepInSync);
  }
  requestAnimationFrame(keepInSync);

  scrub.addEventListener("input", function () {
    if (lead.duration) player.seekAll((scrub.value / 1000) * lead.duration);
  });
  // The bar under each video: a judge frame or a time mark takes every video there.
  document.addEventListener("click", function (e) {
    const mark = e.target.closest(".judge-mark, .time-mark");
    if (!mark) return;
    videos.forEach(function (v) { v.pause(); });
    player.seekAll(Number(mark.dataset.time));
  });
  videos.forEach(function (v) {
    v.addEventListener("dblclick", function () { v.closest(".judging-card").classList.toggle("enlarged"); });
  });

  // Keyboard: a selected video card and a focused criterion inside it.
  let card = 0, row = 0;
  function cards() { return Array.from(document.querySelectorAll(".judging-card")); }
  function rows() { return Array.from(cards()[card].querySelectorAll(".check")); }
  function show() {
    cards().forEach(function (c, i) { c.classList.toggle("selected", i === card); });
    document.querySelectorAll(".check.focused").forEach(function (b) { b.classList.remove("focused"); });
    const current = rows()[row];
    if (current) { current.classList.add("focused"); current.scrollIntoView({ block: "nearest" }); }
  }
  function check() { return rows()[row]; }
  function inDimension(selector) {
    const b = check();
    const button = b && b.closest(".dimension-checks").querySelector(selector);
    if (button) htmx.trigger(button, "click");
  }
  function moved(then) { return function () { then(); show(); }; }
  function across(by) {
    const all = cards();
    card = (card + by + all.length) % all.length;
    row = Math.min(row, rows().length - 1);
  }
  const undo = document.getElementById("bulk-undo");
  Keys.workspace([
    { keys: ["ArrowRight"], label: "→", does: gettext("next video"), brief: gettext("video"), run: moved(function () { across(1); }) },
    { keys: ["ArrowLeft"], label: "←", does: gettext("previous video"), run: moved(function () { across(-1); }) },
    { keys: ["ArrowDown"], label: "↓", does: gettext("next criterion"), brief: gettext("criterion"), run: moved(function () { row = Math.min(row + 1, rows().length - 1); }) },
    { keys: ["ArrowUp"], label: "↑", does: gettext("previous criterion"), run: moved(function () { row = Math.max(row - 1, 0); }) },
    { keys: [" ", "x"], label: gettext("space / x"), does: gettext("toggle the criterion (met / not met, present / absent)"), brief: gettext("toggle"),
      run: function () { const b = check(); if (b) htmx.trigger(b, "click"); } },
    { keys: ["c"], label: "c", does: gettext("confirm the drafts of the criterion's dimension"), run: function () { inDimension(".confirm-drafts"); } },
    { keys: ["v"], label: "v", does: gettext("confirm every draft of the video (asks first)"), brief: gettext("confirm the video"),
      run: function () { const b = cards()[card].querySelector(".confirm-video"); if (b) htmx.trigger(b, "click"); } },
    { keys: ["C"], label: gettext("Shift+C"), does: gettext("confirm every draft of the videos shown (asks first)"), brief: gettext("confirm all"),
      run: function () { htmx.trigger(document.getElementById("confirm-task"), "click"); } },
    { keys: ["0"], label: "0", does: gettext("set the dimension's criteria without draft or verdict to not met / absent"), brief: gettext("dimension to 0"),
      run: function () { inDimension(".dimension-absent"); } },
    { keys: ["u"], label: "u", does: gettext("undo the last confirm (or 0)"),
      run: function () {
        if (undo.elements.token.value) htmx.trigger(undo, "submit");
        else Player.saveStatus.said(gettext("nothing to undo"), null);
      } },
    { keys: ["t"], label: "t", does: gettext("mark the current time on your verdict of the criterion"), brief: gettext("time mark"),
      run: function () { timeMark(lead.currentTime); } },
    { keys: ["T"], label: gettext("Shift+T"), does: gettext("take the criterion's time mark off"), run: function () { timeMark(null); } },
    { keys: ["j"], label: "j", does: gettext("show / hide the judge's reasoning on the video"),
      run: function () {
        const panels = Array.from(cards()[card].querySelectorAll(".judge-reasoning"));
        const open = !panels.some(function (d) { return d.open; });
        panels.forEach(function (d) { d.open = open; });
      } },
    { keys: ["p"], label: "p", does: gettext("play / pause all videos"), run: player.toggle },
    { keys: [","], label: ",", does: gettext("one frame back"), run: function () { player.step(-1); } },
    { keys: ["."], label: ".", does: gettext("one frame forward"), run: function () { player.step(1); } },
    { keys: ["n"], label: "n", does: gettext("next item, else next task"), brief: gettext("next"),
      run: function () { (document.getElementById("next-item") || document.getElementById("next-task")).click(); } },
  ]);

  function timeMark(seconds) {
    const b = check();
    if (!b) return;
    htmx.ajax("POST", cards()[card].dataset.markUrl, {
      source: b, target: b, swap: "outerHTML settle:0ms",
      values: { criterion: b.dataset.criterion, seconds: seconds === null ? "" : seconds.toFixed(2) },
    });
  }

  // The confirms over a video or the task ask first, saying how many drafts they take.
  document.body.addEventListener("htmx:confirm", function (e) {
    const scope = e.detail.elt.dataset.confirmScope;
    if (!scope) return;
    e.preventDefault();
    const within = scope === "task" ? document : e.detail.elt.closest(".judging-card");
    const drafts = within.querySelectorAll('.check[data-state="draft"]').length;
    const videos = scope === "task" ? cards().length : 1;
    if (!drafts) { Player.saveStatus.said(gettext("nothing to confirm"), null); return; }
    const question = scope === "task"
      ? interpolate(ngettext("Confirm %(drafts)s draft of %(videos)s?", "Confirm %(drafts)s drafts of %(videos)s?", drafts),
        { drafts: drafts, videos: interpolate(ngettext("%s video", "%s videos", videos), [videos]) }, true)
      : interpolate(ngettext("Confirm %(drafts)s draft of this video?", "Confirm %(drafts)s drafts of this video?", drafts), { drafts: drafts }, true);
    Keys.ask(question,
      function () { e.detail.issueRequest(true); });
  });
  // The last bulk write's undo, which its answer hands over; used once.
  document.body.addEventListener("undo-ready", function (e) {
    undo.elements.token.value = e.detail.token;
    undo.querySelector("button").disabled = false;
  });
  undo.addEventListener("htmx:afterRequest", function (e) {
    if (!e.detail.successful) return;
    undo.elements.token.value = "";
    undo.querySelector("button").disabled = true;
  });
  // Opened at a batch's item: its video selected, at the first criterion of its dimension.
  const served = cards().findIndex(function (c) { return c.dataset.itemDimension; });
  if (served >= 0) {
    card = served;
    const dimension = cards()[served].dataset.itemDimension;
    row = Math.max(0, rows().findIndex(function (b) { return b.closest(".dimension-checks").dataset.dimension === dimension; }));
  }
  // After a checklist is swapped in (or several, out of band), the focus marker is
  // drawn again.
  document.body.addEventListener("htmx:afterSwap", show);
  // The save that finishes the item brings the way to the next one (out of band).
  document.body.addEventListener("htmx:oobAfterSwap", function (e) {
    show();
    if (e.detail.target && e.detail.target.id === "batch-item") {
      const next = document.getElementById("next-item");
      if (next) next.focus();
    }
  });
  // Saves are POSTs; the progress count loading (a GET) is not one. Each carries what
  // has been watched (watch.js), which the saves that give verdicts store with them.
  const saving = function (e) { return e.detail.requestConfig.verb === "post"; };
  document.body.addEventListener("htmx:configRequest", function (e) {
    if (e.detail.verb === "post") e.detail.parameters.watch = JSON.stringify(Watch.report());
  });
  document.body.addEventListener("htmx:beforeRequest", function (e) {
    if (saving(e)) Player.saveStatus.saving();
  });
  document.body.addEventListener("htmx:afterRequest", function (e) {
    if (!saving(e)) return;
    if (e.detail.successful) Player.saveStatus.saved(e.detail.xhr);
    else Player.saveStatus.failed(e.detail.xhr.status || gettext("network error"));
  });
  show();
})();
