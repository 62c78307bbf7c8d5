"""Routes of the booths package."""
