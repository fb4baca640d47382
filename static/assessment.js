// The assessor's workspace: after a save the page comes back at the criterion (#anchor) with
// its message beside it; this moves the keyboard focus to that message too. It waits for the
// load: the browser handles the fragment then, and that would clear an earlier focus. Without
// script the page still lands at the criterion with its message.
window.addEventListener("load", () => {
  const message = document.querySelector("[data-ws-focus]");
  if (message) {
    setTimeout(() => {
      message.focus({ preventScroll: true });
      message.scrollIntoView({ block: "center" });
    }, 0);
  }
});
