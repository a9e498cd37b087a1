"""The kernel's the domain kit: pure checks, identities, principals, errors, time."""
