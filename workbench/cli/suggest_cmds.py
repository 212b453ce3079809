"""suggest, eval (owned by the suggestion engine; placeholder until it lands)."""
