"""Event models (pydantic v2) and the one topic registry of the platform."""
