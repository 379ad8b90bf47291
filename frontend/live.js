// The channel page: opens a live playback session, plays it with hls.js (or native HLS), shows LIVE / go to
// the live edge, zaps to the previous or next channel, and ends the session when the viewer leaves.
import Hls from "hls.js";

import { api, sentence } from "./api.js";
import { bindHlsTracks } from "./player/tracks.js";

const BEHIND_SECONDS = 10; // further than this from the live edge, LIVE is a button that jumps back

class LivePlayer {
  constructor(root) {
    this.root = root;
    this.video = root.querySelector("video");
    this.slug = root.dataset.channel;
    this.session = null;
    this.hls = null;
  }

  async start() {
    this.bindControls();
    try {
      this.session = await api("POST", "/api/v1/playback", this.request());
    } catch (error) {
      this.fail(sentence(error.message));
      return;
    }
    this.attach(this.session.url);
  }

  // Live, or from the guide: start-over (the programme on air from its start) or catch-up (a past programme).
  request() {
    const mode = this.root.dataset.mode;
    if (mode === "start-over") return { channel: this.slug, start_over: true };
    if (mode === "catch-up") return { channel: this.slug, programme: Number(this.root.dataset.programme) };
    return { channel: this.slug };
  }

  attach(url) {
    const video = this.video;
    if (Hls.isSupported()) {
      // A live stream: start three segments from the edge, keep a short back buffer.
      const replay = this.root.dataset.mode !== "live" && this.root.dataset.mode !== undefined;
      // A replay starts at its beginning (an EVENT playlist would otherwise start at its live edge).
      this.hls = new Hls({ liveSyncDurationCount: 3, backBufferLength: replay ? Infinity : 60, lowLatencyMode: false,
                           startPosition: replay ? 0 : -1 });
      bindHlsTracks(this.root, this.hls);
      this.hls.on(Hls.Events.ERROR, (_event, data) => this.onHlsError(data));
      this.hls.on(Hls.Events.MANIFEST_PARSED, () => this.play());
      this.hls.loadSource(url);
      this.hls.attachMedia(video);
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = url;
      video.addEventListener("loadedmetadata", () => this.play(), { once: true });
    } else {
      this.fail("This browser cannot play HLS video. Try a current Chrome, Firefox, Edge or Safari.");
    }
  }

  async play() {
    try {
      await this.video.play();
    } catch (error) {
      if (error.name === "NotAllowedError") this.setState("paused");
    }
  }

  goLive() {
    if (this.root.dataset.mode && this.root.dataset.mode !== "live") {
      location.href = `/channel/${encodeURIComponent(this.slug)}`; // leave the replay for the live channel
      return;
    }
    if (this.hls && Number.isFinite(this.hls.liveSyncPosition)) this.video.currentTime = this.hls.liveSyncPosition;
    else if (this.video.seekable.length) this.video.currentTime = this.video.seekable.end(this.video.seekable.length - 1) - 6;
    this.play();
  }

  onHlsError(data) {
    if (!data.fatal) return;
    if (data.type === Hls.ErrorTypes.MEDIA_ERROR && !this.recovered) {
      this.recovered = true;
      this.hls.recoverMediaError();
      return;
    }
    if (data.type === Hls.ErrorTypes.NETWORK_ERROR && data.response?.code !== 403 && !this.retried) {
      this.retried = true; // one retry: the channel may be between sources
      setTimeout(() => this.hls.startLoad(), 2000);
      return;
    }
    const status = data.response?.code;
    this.fail(status === 403 ? "Your playback link has expired or was revoked. Reload the page." : `The stream could not be loaded (${data.details}).`);
  }

  bindControls() {
    const root = this.root;
    const video = this.video;
    const role = (name) => root.querySelector(`[data-role=${name}]`);
    role("play").addEventListener("click", () => (video.paused ? this.play() : video.pause()));
    role("bigplay").addEventListener("click", () => this.play());
    role("live").addEventListener("click", () => this.goLive());
    role("mute").addEventListener("click", () => (video.muted = !video.muted));
    role("fullscreen").addEventListener("click", () => (document.fullscreenElement ? document.exitFullscreen() : root.requestFullscreen()));
    role("retry").addEventListener("click", () => location.reload());
    const list = role("zap-list");
    const toggleList = () => {
      list.hidden = !list.hidden;
      role("list").setAttribute("aria-expanded", String(!list.hidden));
    };
    role("list").addEventListener("click", toggleList);
    video.addEventListener("playing", () => this.setState("playing"));
    video.addEventListener("waiting", () => this.setState("buffering"));
    video.addEventListener("pause", () => this.setState("paused"));
    video.addEventListener("timeupdate", () => {
      const edge = this.hls?.liveSyncPosition ?? (video.seekable.length ? video.seekable.end(video.seekable.length - 1) : video.currentTime);
      root.dataset.behind = String(edge - video.currentTime > BEHIND_SECONDS);
    });
    document.addEventListener("keydown", (event) => {
      if (event.target.closest("input, textarea")) return;
      if (event.key === "PageUp") location.href = role("prev").href;
      else if (event.key === "PageDown") location.href = role("next").href;
      else if (event.key === "l") toggleList();
      else if (event.key === "m") video.muted = !video.muted;
      else if (event.key === "ArrowLeft" || event.key === "ArrowRight") video.currentTime += event.key === "ArrowLeft" ? -10 : 10;
      else if (event.key === "f") role("fullscreen").click();
      else if (event.key === " ") {
        event.preventDefault();
        role("play").click();
      } else return;
    });
    window.addEventListener("pagehide", () => this.leave());
  }

  leave() {
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

const root = document.querySelector("[data-live-player]");
if (root) new LivePlayer(root).start();
