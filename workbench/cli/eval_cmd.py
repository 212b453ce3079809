"""eval (owned by the suggestion-quality work; placeholder until it lands)."""
