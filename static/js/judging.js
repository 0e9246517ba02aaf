// The judging workspace, on top of player.js: all videos play, pause, scrub and step
// together; the keyboard moves between videos and criteria and gives verdicts; every
// save says whether it worked.
(function () {
  const videos = Array.from(document.querySelectorAll("video.synced"));
  const lead = videos[0];
  const scrub = document.getElementById("scrub");
  const clock = document.getElementById("clock");
  if (!lead) return;
  const player = Player.controls(function () { return videos; });

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
  document.addEventListener("keydown", function (e) {
    if (e.target.matches("input, textarea, select") || e.ctrlKey || e.metaKey || e.altKey) return;
    const all = cards();
    if (!all.length) return;
    const handled = {
      ArrowRight: function () { card = (card + 1) % all.length; row = Math.min(row, rows().length - 1); },
      ArrowLeft: function () { card = (card - 1 + all.length) % all.length; row = Math.min(row, rows().length - 1); },
      ArrowDown: function () { row = Math.min(row + 1, rows().length - 1); },
      ArrowUp: function () { row = Math.max(row - 1, 0); },
      " ": function () { const b = rows()[row]; if (b) htmx.trigger(b, "click"); },
      x: function () { const b = rows()[row]; if (b) htmx.trigger(b, "click"); },
      c: function () {
        const b = rows()[row];
        const button = b && b.closest(".dimension-checks").querySelector(".confirm-drafts");
        if (button) htmx.trigger(button, "click");
      },
      p: player.toggle,
      ",": function () { player.step(-1); },
      ".": function () { player.step(1); },
      n: function () { (document.getElementById("next-item") || document.getElementById("next-task")).click(); },
    }[e.key];
    if (!handled) return;
    e.preventDefault();
    handled();
    show();
  });
  // Opened at a batch's item: its video selected, at the first criterion of its dimension.
  const served = cards().findIndex(function (c) { return c.dataset.itemDimension; });
  if (served >= 0) {
    card = served;
    const dimension = cards()[served].dataset.itemDimension;
    row = Math.max(0, rows().findIndex(function (b) { return b.closest(".dimension-checks").dataset.dimension === dimension; }));
  }
  // After a checklist is swapped in, the focus marker is drawn again.
  document.body.addEventListener("htmx:afterSwap", show);
  // The save that finishes the item brings the way to the next one (out of band).
  document.body.addEventListener("htmx:oobAfterSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "batch-item") {
      const next = document.getElementById("next-item");
      if (next) next.focus();
    }
  });
  // Saves are POSTs; the progress count loading (a GET) is not one.
  const saving = function (e) { return e.detail.requestConfig.verb === "post"; };
  document.body.addEventListener("htmx:beforeRequest", function (e) {
    if (saving(e)) Player.saveStatus.saving();
  });
  document.body.addEventListener("htmx:afterRequest", function (e) {
    if (!saving(e)) return;
    if (e.detail.successful) Player.saveStatus.saved();
    else Player.saveStatus.failed(e.detail.xhr.status || "network error");
  });
  show();
})();
