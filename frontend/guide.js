// The TV guide: shows times in the viewer's zone, scrolls to now, keeps the now line moving, and opens the
// details panel of a programme with its actions (watch live, start over, catch-up). The grid is server-rendered.

const STEP_MINUTES = 120; // the earlier / later buttons scroll two hours
const time = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const day = new Intl.DateTimeFormat(undefined, { weekday: "long", day: "numeric", month: "long" });

class Guide {
  constructor(root, panel) {
    this.root = root;
    this.panel = panel;
    this.pxPerMinute = Number(root.dataset.pxPerMinute);
    this.start = new Date(root.dataset.start);
    this.clockSkew = new Date(root.dataset.now) - Date.now(); // follow the server's clock, not the browser's
    this.selected = null;
  }

  init() {
    localise(document);
    this.scrollToNow("instant");
    this.root.addEventListener("click", (event) => {
      const block = event.target.closest("[data-programme]");
      if (block) this.open(block);
    });
    document.querySelector("[data-guide-now]")?.addEventListener("click", () => this.scrollToNow("smooth"));
    for (const button of document.querySelectorAll("[data-guide-step]")) {
      const by = Number(button.dataset.guideStep) * STEP_MINUTES * this.pxPerMinute;
      button.addEventListener("click", () => this.root.scrollBy({ left: by, behavior: "smooth" }));
    }
    this.panel.querySelector("[data-panel-close]").addEventListener("click", () => this.close());
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !this.panel.hidden) this.close();
    });
    setInterval(() => this.moveNowLine(), 30_000);
  }

  now() {
    return new Date(Date.now() + this.clockSkew);
  }

  nowLeft() {
    return ((this.now() - this.start) / 60_000) * this.pxPerMinute;
  }

  scrollToNow(behavior) {
    // Leave half an hour of the past visible, like a set-top box guide.
    this.root.scrollTo({ left: Math.max(0, this.nowLeft() - 30 * this.pxPerMinute), behavior });
  }

  moveNowLine() {
    this.root.querySelector("[data-guide-nowline]").style.setProperty("--at", `${Math.round(this.nowLeft())}px`);
  }

  open(block) {
    const data = block.dataset;
    const start = new Date(data.start);
    const stop = new Date(data.stop);
    const minutes = Math.round((stop - start) / 60_000);
    this.selected?.removeAttribute("aria-pressed");
    block.setAttribute("aria-pressed", "true");
    this.selected = block;
    this.field("channel").textContent = data.channelName;
    this.field("title").textContent = data.title;
    this.field("subtitle").textContent = data.subtitle;
    this.field("category").textContent = data.category;
    this.field("description").textContent = data.description;
    this.field("when").textContent = `${day.format(start)}, ${time.format(start)}–${time.format(stop)} · ${minutes} min`;
    const bar = this.field("bar");
    bar.hidden = data.when !== "now";
    bar.firstElementChild.style.width = `${Math.min(100, (100 * (this.now() - start)) / (stop - start))}%`;
    this.setActions(data);
    this.panel.hidden = false;
  }

  setActions(data) {
    const live = this.action("live");
    const channel = `/channel/${encodeURIComponent(data.channel)}`;
    live.href = channel;
    live.querySelector("span").textContent = data.when === "now" ? "Watch live" : `Watch ${data.channelName} live`;
    const onAir = data.when === "now";
    const past = data.when === "past";
    offer(this.action("start-over"), onAir, data.replay === "start-over", `${channel}?start_over=1`);
    offer(this.action("catch-up"), past, data.replay === "catch-up", `${channel}?programme=${data.programme}`);
    this.field("note").textContent = data.note;
  }

  close() {
    this.panel.hidden = true;
    this.selected?.removeAttribute("aria-pressed");
    this.selected?.focus();
    this.selected = null;
  }

  field(name) {
    return this.panel.querySelector(`[data-field=${name}]`);
  }

  action(name) {
    return this.panel.querySelector(`[data-action=${name}]`);
  }
}

// Show an action when it applies; enable it when the programme allows it (the note says why not).
function offer(link, applies, allowed, href) {
  link.hidden = !applies;
  if (allowed) {
    link.href = href;
    link.removeAttribute("aria-disabled");
    link.removeAttribute("tabindex");
  } else {
    link.removeAttribute("href");
    link.setAttribute("aria-disabled", "true");
    link.setAttribute("tabindex", "-1");
  }
}

// Server-rendered times are UTC; show them in the viewer's own zone.
function localise(scope) {
  for (const element of scope.querySelectorAll("time[data-local]")) {
    const moment = new Date(element.getAttribute("datetime"));
    element.textContent = element.dataset.local === "date" ? day.format(moment) : time.format(moment);
  }
  const zone = scope.querySelector("[data-local-zone]");
  if (zone) zone.textContent = `times in ${Intl.DateTimeFormat().resolvedOptions().timeZone.replace(/_/g, " ")}`;
}

const root = document.querySelector("[data-guide]");
const panel = document.querySelector("[data-guide-panel]");
if (root && panel) new Guide(root, panel).init();
