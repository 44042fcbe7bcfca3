"""Where the insights read their populations and histories from."""
