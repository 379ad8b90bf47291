// Links to a delete-confirmation page open the same form in a dialog instead, when scripts run.

export function bindConfirmations(scope) {
  const dialog = document.querySelector("dialog[data-confirm-dialog]");
  if (!dialog) return;
  const form = dialog.querySelector("form");
  const message = dialog.querySelector("[data-confirm-message]");
  for (const link of scope.querySelectorAll("a[data-confirm]")) {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      form.action = link.href;
      message.textContent = link.dataset.confirm;
      dialog.showModal();
    });
  }
  dialog.querySelector("[data-cancel]").addEventListener("click", () => dialog.close());
}
