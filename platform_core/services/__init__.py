"""Every write of the platform's organizations and projects goes through these functions."""
