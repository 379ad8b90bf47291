// Scrub-bar previews from a WebVTT thumbnail track: cues whose text is "sprite.jpg#xywh=x,y,w,h".

export async function loadThumbnails(url) {
  if (!url) return [];
  try {
    const response = await fetch(url, { credentials: "same-origin" });
    return response.ok ? parseThumbnails(await response.text(), response.url) : [];
  } catch {
    return [];
  }
}

export function parseThumbnails(text, baseUrl) {
  const cues = [];
  for (const block of text.replace(/\r/g, "").split(/\n{2,}/)) {
    const lines = block.split("\n");
    const timing = lines.findIndex((line) => line.includes("-->"));
    const payload = timing >= 0 ? lines[timing + 1]?.trim() : "";
    if (!payload || !payload.includes("#xywh=")) continue;
    const [start, end] = lines[timing].split("-->").map((part) => parseTimestamp(part.trim().split(/\s+/)[0]));
    const [file, fragment] = payload.split("#xywh=");
    const [x, y, w, h] = fragment.split(",").map(Number);
    cues.push({ start, end, url: new URL(file, baseUrl).href, x, y, w, h });
  }
  return cues;
}

export function thumbnailAt(cues, time) {
  return cues.find((cue) => time >= cue.start && time < cue.end) ?? cues[cues.length - 1] ?? null;
}

function parseTimestamp(value) {
  return value.split(":").reduce((total, part) => total * 60 + Number(part), 0);
}
