// Quality, audio and subtitle menus over hls.js (or the browser's own HLS, which offers only subtitles).
import Hls from "hls.js";

import { Menu } from "./menu.js";

export function bindHlsTracks(root, hls) {
  const quality = new Menu(root.querySelector("[data-menu=quality]"), (value) => {
    // currentLevel switches now (flushing the buffer); -1 hands control back to the ABR logic.
    hls.currentLevel = value;
    renderQuality();
  });
  const audio = new Menu(root.querySelector("[data-menu=audio]"), (value) => {
    hls.audioTrack = value;
  });
  const subtitles = new Menu(root.querySelector("[data-menu=subtitles]"), (value) => {
    hls.subtitleTrack = value;
    hls.subtitleDisplay = value >= 0;
    renderSubtitles();
  });

  function renderQuality() {
    const levels = hls.levels.map((level, index) => ({ index, level }));
    levels.sort((a, b) => (b.level.height || b.level.bitrate) - (a.level.height || a.level.bitrate));
    const playing = hls.levels[hls.currentLevel];
    const auto = hls.autoLevelEnabled;
    const items = [
      { value: -1, label: "Auto", detail: auto && playing ? levelName(playing) : "" },
      ...levels.map(({ index, level }) => ({ value: index, label: levelName(level), detail: bitrate(level.bitrate) })),
    ];
    const selected = auto ? -1 : hls.manualLevel;
    const summary = playing ? (auto ? `Auto · ${levelName(playing)}` : levelName(playing)) : "Auto";
    quality.render(items, selected, summary);
    root.dataset.level = String(hls.currentLevel);
    root.dataset.levelMode = auto ? "auto" : "manual";
  }

  function renderAudio() {
    const items = hls.audioTracks.map((track, index) => ({ value: index, label: trackName(track, index) }));
    audio.render(items, hls.audioTrack, items[hls.audioTrack]?.label);
  }

  function renderSubtitles() {
    const items = [
      { value: -1, label: "Off" },
      ...hls.subtitleTracks.map((track, index) => ({ value: index, label: trackName(track, index) })),
    ];
    subtitles.render(items, hls.subtitleTrack, hls.subtitleTrack >= 0 ? items[hls.subtitleTrack + 1].label : "Off");
    root.querySelector("[data-menu=subtitles]").hidden = hls.subtitleTracks.length === 0;
  }

  hls.on(Hls.Events.MANIFEST_PARSED, renderQuality);
  hls.on(Hls.Events.LEVEL_SWITCHED, renderQuality);
  hls.on(Hls.Events.AUDIO_TRACKS_UPDATED, renderAudio);
  hls.on(Hls.Events.AUDIO_TRACK_SWITCHED, renderAudio);
  hls.on(Hls.Events.SUBTITLE_TRACKS_UPDATED, renderSubtitles);
  hls.on(Hls.Events.SUBTITLE_TRACK_SWITCH, renderSubtitles);
  return [quality, audio, subtitles];
}

export function bindNativeTracks(root, video) {
  root.querySelector("[data-menu=quality]").hidden = true;
  root.querySelector("[data-menu=audio]").hidden = true;
  const subtitles = new Menu(root.querySelector("[data-menu=subtitles]"), (value) => {
    Array.from(video.textTracks).forEach((track, index) => {
      track.mode = index === value ? "showing" : "disabled";
    });
    render();
  });
  function render() {
    const tracks = Array.from(video.textTracks).filter((track) => track.kind !== "metadata");
    const current = tracks.findIndex((track) => track.mode === "showing");
    const items = [{ value: -1, label: "Off" }, ...tracks.map((track, index) => ({ value: index, label: trackName(track, index) }))];
    subtitles.render(items, current, items[current + 1].label);
    root.querySelector("[data-menu=subtitles]").hidden = tracks.length === 0;
  }
  video.textTracks.addEventListener("addtrack", render);
  render();
  return [subtitles];
}

function levelName(level) {
  return level.height ? `${level.height}p` : bitrate(level.bitrate);
}

function bitrate(bits) {
  return bits >= 1e6 ? `${(bits / 1e6).toFixed(1)} Mb/s` : `${Math.round(bits / 1e3)} kb/s`;
}

function trackName(track, index) {
  return track.name || track.label || track.lang || track.language || `Track ${index + 1}`;
}
