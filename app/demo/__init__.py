"""Demo data for `make run` and for trying the platform; each feature adds its own part."""
