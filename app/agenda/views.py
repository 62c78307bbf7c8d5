"""Routes of the agenda package."""
