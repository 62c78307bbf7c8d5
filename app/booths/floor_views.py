"""Routes of the booths package: the exhibition settings, the floor plan and allocation."""
