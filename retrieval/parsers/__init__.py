"""One module per family of formats; each parser maps (bytes, fallback title, limits) to (title, sections)."""
