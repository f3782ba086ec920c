"""Who may use Duban: users, their roles, their passwords and the login rate limit (no Flask here)."""
