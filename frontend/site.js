// Small enhancements on every page: dismissible flash messages, scroll buttons on rows,
// and closing the account menu when clicking elsewhere.

for (const button of document.querySelectorAll("[data-dismiss]")) {
  button.addEventListener("click", () => button.closest(".flash")?.remove());
}

for (const row of document.querySelectorAll("[data-row]")) {
  const track = row.querySelector("[data-row-track]");
  const update = () => {
    row.dataset.atStart = String(track.scrollLeft <= 4);
    row.dataset.atEnd = String(track.scrollLeft + track.clientWidth >= track.scrollWidth - 4);
  };
  for (const button of row.querySelectorAll("[data-scroll]")) {
    button.addEventListener("click", () => {
      const direction = Number(button.dataset.scroll);
      track.scrollBy({ left: direction * track.clientWidth * 0.9, behavior: "smooth" });
    });
  }
  track.addEventListener("scroll", update, { passive: true });
  window.addEventListener("resize", update);
  update();
}

document.addEventListener("click", (event) => {
  for (const menu of document.querySelectorAll("details[data-menu][open]")) {
    if (!menu.contains(event.target)) menu.removeAttribute("open");
  }
});
