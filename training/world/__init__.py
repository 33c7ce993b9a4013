"""The synthetic audio-visual world of shared/synthetic-world.md: assets, scenes, clips."""
