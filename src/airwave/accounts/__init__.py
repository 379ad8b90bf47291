"""Users, passwords, logins (cookie sessions and bearer tokens), CSRF."""
