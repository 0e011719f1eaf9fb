"""The window's pages: overview, projects, sessions, settings."""
