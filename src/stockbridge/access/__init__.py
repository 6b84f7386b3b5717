"""Who may call stockbridge: API keys and their roles."""
