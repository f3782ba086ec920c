"""Pure domain logic: standard library only."""
