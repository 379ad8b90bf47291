"""Live TV: channels and their sources, playout schedules, the programme guide, start-over and catch-up."""
