"""Reports: the numbers the CLI prints and the app shows, built from store queries."""
