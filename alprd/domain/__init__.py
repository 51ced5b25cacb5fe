"""Domain: pure rules and message types every stage shares (plate text, packs, lists, regions)."""
