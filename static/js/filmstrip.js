// Hover-scrub: moving the pointer across a thumbnail shows the filmstrip frame under
// it. Delegated from the document, so thumbnails swapped in by htmx work too.
(function () {
  function frameAt(thumb, clientX) {
    const frames = Number(thumb.dataset.frames) || 1;
    const box = thumb.getBoundingClientRect();
    const k = Math.min(frames - 1, Math.max(0, Math.floor(((clientX - box.left) / box.width) * frames)));
    return { k: k, frames: frames };
  }
  document.addEventListener("pointermove", function (event) {
    const thumb = event.target.closest && event.target.closest(".thumb[data-filmstrip]");
    if (!thumb || !thumb.dataset.filmstrip) return;
    const at = frameAt(thumb, event.clientX);
    thumb.style.backgroundImage = "url('" + thumb.dataset.filmstrip + "')";
    thumb.style.backgroundSize = at.frames * 100 + "% 100%";
    thumb.style.backgroundPosition = (at.frames > 1 ? (at.k / (at.frames - 1)) * 100 : 0) + "% 0";
    thumb.dataset.frame = at.k;
  });
  document.addEventListener("pointerout", function (event) {
    const thumb = event.target.closest && event.target.closest(".thumb[data-filmstrip]");
    if (!thumb || thumb.contains(event.relatedTarget)) return;
    thumb.style.backgroundImage = "url('" + thumb.dataset.poster + "')";
    thumb.style.backgroundSize = "";
    thumb.style.backgroundPosition = "";
    delete thumb.dataset.frame;
  });
})();
