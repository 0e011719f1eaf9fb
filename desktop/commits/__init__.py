"""The developer's own git history: repositories from event cwds, commits read with git, links to sessions."""
