"""Report rendering: executed notebooks to self-contained HTML."""
