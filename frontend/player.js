// The watch page: opens a playback session, plays it with hls.js (or native HLS), saves progress,
// and ends the session when the viewer leaves.
import Hls from "hls.js";

import { api, sentence } from "./api.js";
import { bindControls } from "./player/controls.js";
import { loadThumbnails } from "./player/thumbnails.js";
import { bindHlsTracks, bindNativeTracks } from "./player/tracks.js";

const SAVE_EVERY_MS = 10_000;

class Player {
  constructor(root) {
    this.root = root;
    this.video = root.querySelector("video");
    this.titleId = Number(root.dataset.titleId);
    this.session = null;
    this.hls = null;
    this.lastSaved = -1;
  }

  async start() {
    this.setState("loading");
    const thumbnails = loadThumbnails(this.root.dataset.thumbs);
    try {
      this.session = await api("POST", "/api/v1/playback", { title: this.titleId });
    } catch (error) {
      const known = [403, 404, 409, 429].includes(error.status);
      this.fail(known ? sentence(error.message) : `Playback could not start: ${sentence(error.message)}`);
      return;
    }
    const menus = this.attach(this.session.url, this.session.resume_from ?? 0);
    bindControls(this.root, this.video, menus, await thumbnails);
    this.bindLifecycle();
  }

  attach(url, resumeFrom) {
    const video = this.video;
    if (Hls.isSupported()) {
      this.hls = new Hls({ startPosition: resumeFrom > 0 ? resumeFrom : -1, capLevelToPlayerSize: false });
      const menus = bindHlsTracks(this.root, this.hls);
      this.hls.on(Hls.Events.ERROR, (_event, data) => this.onHlsError(data));
      this.hls.on(Hls.Events.MANIFEST_PARSED, () => this.play());
      this.hls.loadSource(url);
      this.hls.attachMedia(video);
      return menus;
    }
    if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = url;
      video.addEventListener("loadedmetadata", () => {
        if (resumeFrom > 0) video.currentTime = resumeFrom;
        this.play();
      }, { once: true });
      video.addEventListener("error", () => this.fail(`The video could not be played (${video.error?.message || "media error"}).`));
      return bindNativeTracks(this.root, video);
    }
    this.fail("This browser cannot play HLS video. Try a current Chrome, Firefox, Edge or Safari.");
    return [];
  }

  async play() {
    try {
      await this.video.play();
    } catch (error) {
      // Autoplay refused until the viewer interacts: offer the big play button instead.
      if (error.name === "NotAllowedError") this.setState("paused");
    }
  }

  onHlsError(data) {
    if (!data.fatal) return;
    if (data.type === Hls.ErrorTypes.MEDIA_ERROR && !this.recovered) {
      this.recovered = true;
      this.hls.recoverMediaError();
      return;
    }
    const status = data.response?.code;
    const reason =
      status === 403 || status === 410
        ? "Your playback link has expired or was revoked. Reload the page to start a new session."
        : status === 404
          ? "This title's video files are missing on the server."
          : `The stream could not be loaded (${data.details}).`;
    this.fail(reason);
  }

  bindLifecycle() {
    const video = this.video;
    video.addEventListener("playing", () => this.setState("playing"));
    video.addEventListener("waiting", () => this.setState("buffering"));
    video.addEventListener("pause", () => {
      this.setState("paused");
      this.saveProgress();
    });
    video.addEventListener("ended", () => {
      this.setState("ended");
      this.saveProgress();
    });
    setInterval(() => {
      if (!video.paused) this.saveProgress();
    }, SAVE_EVERY_MS);
    window.addEventListener("pagehide", () => this.leave());
    this.root.querySelector("[data-role=retry]").addEventListener("click", () => location.reload());
  }

  saveProgress({ keepalive = false } = {}) {
    const position = this.video.currentTime;
    const duration = this.video.duration;
    if (!Number.isFinite(duration) || duration <= 0 || Math.abs(position - this.lastSaved) < 0.5) return;
    this.lastSaved = position;
    this.root.dataset.savedPosition = position.toFixed(1);
    api("PUT", `/api/v1/progress/${this.titleId}`, { position, duration }, { keepalive }).catch(() => {});
  }

  leave() {
    this.saveProgress({ keepalive: true });
    if (this.session) api("DELETE", `/api/v1/playback/${this.session.session_id}`, undefined, { keepalive: true }).catch(() => {});
    this.session = null;
    this.hls?.destroy();
  }

  setState(state) {
    if (this.root.dataset.state !== "error") this.root.dataset.state = state;
  }

  fail(message) {
    this.root.querySelector("[data-role=error-message]").textContent = message;
    this.root.querySelector("[data-role=error]").hidden = false;
    this.root.dataset.state = "error";
    this.hls?.stopLoad();
  }
}

const root = document.querySelector("[data-player]");
if (root) new Player(root).start();
