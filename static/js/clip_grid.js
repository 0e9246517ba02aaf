// Grid triage: select many clips (click, shift-click for a range, keys) and reject
// them together with one reason; on a clip of a near-duplicate group, k (or its
// "keep this one") keeps it and rejects the rest of its group as duplicates.
(function () {
  const cards = Array.from(document.querySelectorAll("#clip-grid .thumb-card"));
  const counter = document.getElementById("selected-count");
  let focus = 0, anchor = null;

  function select(card, on) {
    card.classList.toggle("selected", on);
    card.querySelector("input[name=video]").checked = on;
  }
  function refresh() {
    cards.forEach(function (c, i) { c.classList.toggle("focused", i === focus); });
    counter.textContent = interpolate(gettext("%s selected"), [cards.filter(function (c) { return c.classList.contains("selected"); }).length]);
  }
  const keepForm = document.getElementById("keep-form");
  function keep(card) {
    if (!card.dataset.group) return false;
    keepForm.querySelector("input[name=video]").value = card.dataset.video;
    keepForm.submit();
    return true;
  }
  cards.forEach(function (card, i) {
    const button = card.querySelector(".keep-one");
    if (button) button.addEventListener("click", function (e) { e.stopPropagation(); keep(card); });
    card.addEventListener("click", function (e) {
      if (e.shiftKey && anchor !== null) {
        const [from, to] = [Math.min(anchor, i), Math.max(anchor, i)];
        cards.slice(from, to + 1).forEach(function (c) { select(c, true); });
      } else {
        select(card, !card.classList.contains("selected"));
        anchor = i;
      }
      focus = i;
      refresh();
    });
  });
  function columns() {
    if (cards.length < 2) return 1;
    const top = cards[0].getBoundingClientRect().top;
    const n = cards.findIndex(function (c) { return c.getBoundingClientRect().top !== top; });
    return n === -1 ? cards.length : n;
  }
  document.addEventListener("keydown", function (e) {
    if (!cards.length || e.target.matches("select, input, textarea")) return;
    const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: columns(), ArrowUp: -columns() };
    if (e.key in moves) {
      focus = Math.min(cards.length - 1, Math.max(0, focus + moves[e.key]));
      cards[focus].scrollIntoView({ block: "nearest" });
    } else if (e.key === "x" || e.key === " ") {
      select(cards[focus], !cards[focus].classList.contains("selected"));
      anchor = focus;
    } else if (e.key === "k" && !e.ctrlKey && !e.metaKey) {
      if (!keep(cards[focus])) return;
    } else if (e.key === "a" && (e.ctrlKey || e.metaKey)) {
      cards.forEach(function (c) { select(c, true); });
    } else {
      return;
    }
    e.preventDefault();
    refresh();
  });
  refresh();
})();
