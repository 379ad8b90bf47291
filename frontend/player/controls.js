// The player's own controls: play/pause, seeking, scrub bar with previews, volume, fullscreen, keyboard.
import { formatTime } from "../api.js";
import { thumbnailAt } from "./thumbnails.js";

const HIDE_AFTER_MS = 3000;

export function bindControls(root, video, menus, thumbnails) {
  const $ = (role) => root.querySelector(`[data-role=${role}]`);
  const scrub = $("scrub");
  const duration = () => (Number.isFinite(video.duration) ? video.duration : 0);

  const togglePlay = () => (video.paused || video.ended ? video.play().catch(() => {}) : video.pause());
  const seekBy = (seconds) => {
    video.currentTime = Math.min(Math.max(0, video.currentTime + seconds), duration());
  };
  const toggleFullscreen = () =>
    document.fullscreenElement ? document.exitFullscreen() : root.requestFullscreen().catch(() => {});
  const setVolume = (value) => {
    video.volume = Math.min(1, Math.max(0, value));
    video.muted = video.volume === 0;
  };

  $("play").addEventListener("click", togglePlay);
  $("bigplay").addEventListener("click", togglePlay);
  video.addEventListener("click", togglePlay);
  video.addEventListener("dblclick", toggleFullscreen);
  $("back10").addEventListener("click", () => seekBy(-10));
  $("fwd10").addEventListener("click", () => seekBy(10));
  $("mute").addEventListener("click", () => {
    video.muted = !video.muted;
  });
  $("volume").addEventListener("input", (event) => setVolume(Number(event.target.value)));
  $("fullscreen").addEventListener("click", toggleFullscreen);

  const render = () => {
    const total = duration();
    const played = total ? (video.currentTime / total) * 100 : 0;
    $("played").style.width = `${played}%`;
    $("time").textContent = `${formatTime(video.currentTime)} / ${formatTime(total)}`;
    scrub.setAttribute("aria-valuemax", String(Math.round(total)));
    scrub.setAttribute("aria-valuenow", String(Math.round(video.currentTime)));
    scrub.setAttribute("aria-valuetext", formatTime(video.currentTime));
    const ranges = video.buffered;
    const end = ranges.length ? ranges.end(ranges.length - 1) : 0;
    $("buffered").style.width = `${total ? (end / total) * 100 : 0}%`;
  };
  for (const name of ["timeupdate", "durationchange", "progress", "seeking"]) video.addEventListener(name, render);
  video.addEventListener("volumechange", () => {
    $("volume").value = String(video.muted ? 0 : video.volume);
    root.dataset.muted = String(video.muted || video.volume === 0);
  });

  bindScrub(root, scrub, video, duration, thumbnails);
  bindAutoHide(root, video);
  bindMenus(menus);
  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, textarea, select, [role=menu]") || event.ctrlKey || event.metaKey) return;
    const actions = {
      " ": togglePlay,
      k: togglePlay,
      f: toggleFullscreen,
      m: () => (video.muted = !video.muted),
      ArrowLeft: () => seekBy(-5),
      ArrowRight: () => seekBy(5),
      j: () => seekBy(-10),
      l: () => seekBy(10),
      ArrowUp: () => setVolume(video.volume + 0.1),
      ArrowDown: () => setVolume(video.volume - 0.1),
      Escape: () => menus.forEach((menu) => menu.close()),
    };
    const action = actions[event.key];
    if (!action) return;
    event.preventDefault();
    action();
    wake(root, video);
  });
  render();
}

function bindScrub(root, scrub, video, duration, thumbnails) {
  const preview = root.querySelector("[data-role=preview]");
  const thumb = root.querySelector("[data-role=thumb]");
  const label = root.querySelector("[data-role=preview-time]");
  const timeAt = (event) => {
    const box = scrub.getBoundingClientRect();
    const fraction = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
    return { fraction, time: fraction * duration() };
  };
  let dragging = false;
  scrub.addEventListener("pointerdown", (event) => {
    dragging = true;
    scrub.setPointerCapture(event.pointerId);
    video.currentTime = timeAt(event).time;
  });
  scrub.addEventListener("pointerup", () => (dragging = false));
  scrub.addEventListener("pointerleave", () => (preview.hidden = true));
  scrub.addEventListener("pointermove", (event) => {
    const { fraction, time } = timeAt(event);
    if (dragging) video.currentTime = time;
    if (!duration()) return;
    preview.hidden = false;
    preview.style.left = `${fraction * 100}%`;
    label.textContent = formatTime(time);
    const cue = thumbnails.length ? thumbnailAt(thumbnails, time) : null;
    thumb.hidden = !cue;
    if (cue) {
      thumb.style.width = `${cue.w}px`;
      thumb.style.height = `${cue.h}px`;
      thumb.style.backgroundImage = `url("${cue.url}")`;
      thumb.style.backgroundPosition = `-${cue.x}px -${cue.y}px`;
    }
  });
  scrub.addEventListener("keydown", (event) => {
    const step = { ArrowLeft: -5, ArrowRight: 5, PageDown: -60, PageUp: 60 }[event.key];
    if (step === undefined) return;
    event.preventDefault();
    event.stopPropagation();
    video.currentTime = Math.min(Math.max(0, video.currentTime + step), duration());
  });
}

let hideTimer = 0;

function wake(root, video) {
  root.dataset.idle = "false";
  clearTimeout(hideTimer);
  hideTimer = setTimeout(() => {
    if (!video.paused && !root.querySelector("[role=menu]:not([hidden])")) root.dataset.idle = "true";
  }, HIDE_AFTER_MS);
}

function bindAutoHide(root, video) {
  for (const name of ["pointermove", "pointerdown", "focusin"]) root.addEventListener(name, () => wake(root, video));
  video.addEventListener("pause", () => wake(root, video));
  video.addEventListener("play", () => wake(root, video));
}

function bindMenus(menus) {
  document.addEventListener("airwave:menu-open", (event) => {
    menus.filter((menu) => menu !== event.detail).forEach((menu) => menu.close());
  });
  document.addEventListener("click", () => menus.forEach((menu) => menu.close()));
}
