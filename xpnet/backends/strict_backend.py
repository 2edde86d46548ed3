"""Placeholder: the strict backend is being written (see issue 3)."""
