"""People, roles, organisations, sign-in, invitations and API tokens."""
