"""Forensic A/B watermarking: keyed per-segment marks, per-session codes, capture alignment, detection, trace.

The scheme is the industry's variant (A/B) watermarking (ETSI TS 104 002): every segment of a marked
rendition exists twice, A and B, carrying an antipodal invisible luma mark; each playback session receives
segment N as variant ``code[N mod L]`` of its own random code, and a pirate's capture is traced back by
correlating it, segment by segment, against the difference of the two variants.
"""
