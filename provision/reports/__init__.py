"""Reports are pure functions from results to text, JSON, Markdown (and later JUnit, HTML)."""
