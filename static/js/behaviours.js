// Behaviours that templates ask for with data- attributes. They live here because the
// Content-Security-Policy runs no inline handler (onclick=, onchange=, ...). Listeners
// sit on the document, so markup that htmx swaps in behaves the same.
"use strict";

// <select data-autosubmit>: choosing an option submits its form.
document.addEventListener("change", (event) => {
  if (event.target.matches("[data-autosubmit]")) event.target.form.submit();
});

// <form data-confirm="question">: sent only when the user agrees.
document.addEventListener("submit", (event) => {
  const question = event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});

// <button data-copy="#field">: copies that field's value.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  navigator.clipboard.writeText(document.querySelector(button.dataset.copy).value)
    .then(() => { button.textContent = gettext("Copied"); });
});

// <input data-select-on-focus>: focusing it selects all of its value.
document.addEventListener("focusin", (event) => {
  if (event.target.matches("[data-select-on-focus]")) event.target.select();
});
