// Keys of the criterion editor: Enter saves, Shift+Enter breaks the line, Escape
// cancels (the Cancel button asks the server for the block without the editor).
function criterionFormKey(event, form) {
  if (event.key === "Escape") {
    event.preventDefault();
    form.querySelector(".cancel").click();
  } else if (event.key === "Enter" && !event.shiftKey && event.target.tagName === "TEXTAREA") {
    event.preventDefault();
    form.requestSubmit();
  }
}
