"""Pure HLS playlist code: rendering and parsing. No I/O."""
