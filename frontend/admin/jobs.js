// Live progress of ingest jobs: poll a small JSON endpoint while any job shown is still running.

const POLL_MS = 1000;
const FINAL = new Set(["done", "failed", "interrupted"]);

export function bindJobs(scope) {
  const rows = Array.from(scope.querySelectorAll("[data-job-id]"));
  const active = () => rows.filter((row) => !FINAL.has(row.dataset.state));
  if (!active().length) return;

  const poll = async () => {
    const ids = active().map((row) => row.dataset.jobId);
    if (!ids.length) return;
    try {
      const response = await fetch(`/admin/jobs/status?ids=${ids.join(",")}`, { credentials: "same-origin" });
      if (response.ok) for (const job of (await response.json()).jobs) update(rows, job);
    } catch {
      // The server restarted or the network blinked: try again on the next tick.
    }
    setTimeout(poll, POLL_MS);
  };
  setTimeout(poll, POLL_MS);
}

function update(rows, job) {
  const row = rows.find((candidate) => candidate.dataset.jobId === String(job.id));
  if (!row) return;
  const finished = FINAL.has(job.state) && row.dataset.state !== job.state;
  row.dataset.state = job.state;
  const percent = Math.round(job.progress * 100);
  const bar = row.querySelector("[data-job-bar]");
  if (bar) bar.style.width = `${percent}%`;
  row.querySelector("[data-job-progress]")?.setAttribute("aria-valuenow", String(percent));
  const text = row.querySelector("[data-job-percent]");
  if (text) text.textContent = `${percent}%`;
  const state = row.querySelector("[data-job-state]");
  if (state) {
    state.textContent = job.state_label;
    state.className = `badge badge--${job.state}`;
  }
  const message = row.querySelector("[data-job-message]");
  if (message) message.textContent = job.message;
  // A finished job page shows more (the new title, the error): let the server render it.
  if (finished && row.hasAttribute("data-job-page")) location.reload();
}
