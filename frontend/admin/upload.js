// The upload form sends its file by XHR so the browser can show a progress bar; without scripts it is a
// plain multipart form. The server answers with a redirect to the job page, or the form with errors.

export function bindUpload(scope) {
  const form = scope.querySelector("form[data-upload]");
  if (!form) return;
  const panel = form.querySelector("[data-upload-progress]");
  const bar = panel.querySelector("[data-upload-bar]");
  const label = panel.querySelector("[data-upload-label]");
  const submit = form.querySelector("[type=submit]");

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const file = form.querySelector("input[name=file]").files[0];
    const limit = Number(form.dataset.maxBytes);
    if (file && limit && file.size > limit) {
      panel.hidden = false;
      return failed(`${file.name} is ${megabytes(file.size)}: larger than the limit of ${megabytes(limit)}.`);
    }
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.addEventListener("progress", (progress) => {
      if (!progress.lengthComputable) return;
      const percent = Math.round((progress.loaded / progress.total) * 100);
      bar.style.width = `${percent}%`;
      label.textContent = `Uploading… ${percent}% of ${megabytes(progress.total)}`;
    });
    xhr.upload.addEventListener("load", () => (label.textContent = "Upload complete, queueing the ingest job…"));
    xhr.addEventListener("load", () => {
      if (xhr.status < 400 && !xhr.responseURL.endsWith(new URL(form.action, location.href).pathname)) {
        location.assign(xhr.responseURL);
        return;
      }
      // Validation errors: show the page the server rendered, form values and messages included.
      const page = new DOMParser().parseFromString(xhr.responseText, "text/html");
      const fresh = page.querySelector("main");
      if (!fresh) return failed(`The server answered ${xhr.status}.`);
      document.querySelector("main").replaceWith(fresh);
      bindUpload(document);
    });
    xhr.addEventListener("error", () => failed("The connection was lost during the upload. Try again."));
    panel.hidden = false;
    submit.disabled = true;
    xhr.send(new FormData(form));
  });

  function failed(message) {
    label.textContent = message;
    panel.dataset.failed = "true";
    submit.disabled = false;
  }
}

function megabytes(bytes) {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}
