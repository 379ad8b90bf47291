"""ffmpeg: locating it, probing, argv builders (pure), process supervision, the ABR ladder."""
