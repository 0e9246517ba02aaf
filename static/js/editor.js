// Keys of the criterion editor: Enter saves, Shift+Enter breaks the line, Escape
// cancels (the Cancel button asks the server for the block without the editor). One
// listener on the document: htmx swaps the editing forms in and out.
"use strict";

document.addEventListener("keydown", (event) => {
  const form = event.target.closest("form.criterion-form");
  if (!form) return;
  if (event.key === "Escape") {
    event.preventDefault();
    form.querySelector(".cancel").click();
  } else if (event.key === "Enter" && !event.shiftKey && event.target.tagName === "TEXTAREA") {
    event.preventDefault();
    form.requestSubmit();
  }
});
